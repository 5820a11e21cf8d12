import { readFileSync } from 'node:fs';

/**
 * A Dockerfile reader for static checks: instructions with continuation
 * lines joined, grouped by build stage, with ARG defaults substituted in
 * FROM lines. It reads what this repository's Dockerfiles use, no more.
 */

export interface Instruction {
  keyword: string;
  /** The text after the keyword, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  /** The image or stage this stage starts from, ARGs substituted. */
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface Dockerfile {
  file: string;
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export interface CopyInstruction {
  sources: string[];
  destination: string;
  /** Set for COPY --from=<stage>: the sources are not in the build context. */
  from: string | undefined;
  line: number;
}

function instructionsOf(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  let pending: { keyword: string; parts: string[]; line: number } | undefined;
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    // Comments may sit between continuation lines; parser directives are comments too.
    if (trimmed.startsWith('#') || (trimmed === '' && !pending)) return;
    const continued = /\\\s*$/.test(line);
    const content = line.replace(/\\\s*$/, '');
    if (pending) {
      pending.parts.push(content.trim());
    } else {
      const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(content);
      if (!match?.[1]) throw new Error(`cannot read line ${index + 1}: ${line}`);
      pending = { keyword: match[1].toUpperCase(), parts: [match[2] ?? ''], line: index + 1 };
    }
    if (!continued) {
      instructions.push({ keyword: pending.keyword, args: pending.parts.filter(Boolean).join(' ').trim(), line: pending.line });
      pending = undefined;
    }
  });
  if (pending) throw new Error(`line ${pending.line}: the last instruction ends with a continuation`);
  return instructions;
}

function substitute(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced?: string, bare?: string) => {
    const name = (braced ?? bare) as string;
    return args[name] ?? '';
  });
}

export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructionsOf(text)) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/);
      stages.push({
        from: substitute(image, globalArgs),
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`${file}:${instruction.line}: ${instruction.keyword} before FROM`);
      const [name = '', value = ''] = instruction.args.split('=');
      globalArgs[name.trim()] = value.trim();
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  if (stages.length === 0) throw new Error(`${file} has no FROM`);
  return { file, globalArgs, stages };
}

export function readDockerfile(file: string): Dockerfile {
  return parseDockerfile(readFileSync(file, 'utf8'), file);
}

/** Splits shell-form arguments on whitespace, or reads the JSON (exec) form. */
export function argumentsOf(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as string[];
  return trimmed.split(/\s+/).filter(Boolean);
}

export function copiesOf(stage: Stage): CopyInstruction[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY' || instruction.keyword === 'ADD')
    .map((instruction) => {
      const words = argumentsOf(instruction.args);
      const flags = words.filter((word) => word.startsWith('--'));
      const paths = words.filter((word) => !word.startsWith('--'));
      const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
      const destination = paths.pop();
      if (!destination || paths.length === 0) throw new Error(`line ${instruction.line}: COPY needs a source and a destination`);
      return { sources: paths, destination, from, line: instruction.line };
    });
}

/** ENV NAME=value pairs of a stage (values may be quoted). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of stage.instructions.filter((item) => item.keyword === 'ENV')) {
    const pattern = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
    for (const match of instruction.args.matchAll(pattern)) {
      const [, name = '', rawValue = ''] = match;
      env[name] = /^["']/.test(rawValue) ? rawValue.slice(1, -1).replace(/\\(.)/g, '$1') : rawValue;
    }
  }
  return env;
}

export function lastInstruction(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
}

export function finalStage(dockerfile: Dockerfile): Stage {
  const stage = dockerfile.stages.at(-1);
  if (!stage) throw new Error(`${dockerfile.file} has no stage`);
  return stage;
}
