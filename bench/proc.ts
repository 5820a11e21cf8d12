import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User plus system CPU time of a process (all its threads) in milliseconds; undefined once it is gone. */
export function cpuMs(pid: number): number | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  // stat(5): utime is field 14 and stime field 15; fields[0] is field 3 (state).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * CPU time of a process and everything it started: its own time, what its
 * ended and reaped children spent (cutime, cstime), and its live children's.
 * For a server that forks a process per connection, such as PostgreSQL.
 */
export function treeCpuMs(pid: number): number | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  // stat(5): cutime is field 16 and cstime field 17.
  const reaped = ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND;
  let total = (cpuMs(pid) ?? 0) + reaped;
  for (const child of childProcesses(pid)) total += treeCpuMs(child.pid) ?? 0;
  return total;
}

/** The processes whose command lines hold every one of the given arguments (e.g. a server by its port option), by process id. */
export function findProcesses(...args: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.every((arg) => cmdline.includes(arg))) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found.sort((a, b) => a - b);
}

/** Whether a process was started with the environment variable set (to anything but ''). */
export function hasEnvironmentVariable(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .some((entry) => entry.startsWith(`${name}=`) && entry.length > name.length + 1);
  } catch {
    return false;
  }
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The direct children of a process with their command lines. */
export function childProcesses(parent: number): Array<{ pid: number; args: string[] }> {
  const children: Array<{ pid: number; args: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (Number(statFields(pid)?.[1]) !== parent) continue;
    try {
      children.push({ pid, args: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean) });
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/** One line naming the machine the figures come from. */
export function describeMachine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux: os.cpus() is good enough
  }
  return `${cpus().length} x ${model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${readLoad()}`;
}

function readLoad(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}
