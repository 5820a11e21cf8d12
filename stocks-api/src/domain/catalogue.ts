import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const insightsSchema = z.strictObject({
  analystRating: z.enum(['buy', 'hold', 'sell']),
  targetPrice: z.number().positive(),
  analystNote: z.string().min(1),
  insiderHoldingsPercent: z.number().min(0).max(100),
});

const stockSchema = z.strictObject({
  // Ids appear in URL paths, so they are kept to a URL-safe alphabet.
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lowercase letters, digits and dashes'),
  name: z.string().min(1),
  symbol: z.string().min(1),
  exchange: z.string().min(1),
  price: z.number().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  region: z.string().min(1),
  insights: insightsSchema,
});

const catalogueSchema = z.object({
  stocks: z.array(stockSchema).superRefine((stocks, ctx) => {
    const seen = new Set<string>();
    for (const [index, stock] of stocks.entries()) {
      if (seen.has(stock.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate id ${stock.id}` });
      seen.add(stock.id);
    }
  }),
});

export type Stock = z.output<typeof stockSchema>;
export type StockInsights = z.output<typeof insightsSchema>;
/** What any caller of the stock's region may see. */
export type PublicStock = Omit<Stock, 'insights'>;

/** Validates catalogue JSON; the error lists every problem with its location. */
export function parseCatalogue(data: unknown): readonly Stock[] {
  const parsed = catalogueSchema.safeParse(data);
  if (parsed.success) return parsed.data.stocks;
  const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  throw new Error(`invalid stock catalogue: ${problems.join('; ')}`);
}

/**
 * Reads the catalogue once at start-up. Errors name the file so a wrong
 * STOCKS_DATA_FILE is obvious from the start-up message alone.
 */
export async function loadCatalogue(file: string): Promise<readonly Stock[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`STOCKS_DATA_FILE ${file} cannot be read (${reason})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`STOCKS_DATA_FILE ${file} is not valid JSON`);
  }
  try {
    return parseCatalogue(data);
  } catch (error) {
    throw new Error(`STOCKS_DATA_FILE ${file}: ${(error as Error).message}`);
  }
}

/**
 * Regions are compared exactly: the claim comes from a signed token, so a
 * spelling the catalogue does not know simply matches no stock.
 */
export function stocksInRegion(stocks: readonly Stock[], region: string): Stock[] {
  return stocks.filter((stock) => stock.region === region);
}

/**
 * A stock of another region is reported exactly like one that does not
 * exist, so callers cannot probe what other regions hold.
 */
export function findStockInRegion(stocks: readonly Stock[], id: string, region: string): Stock | undefined {
  return stocks.find((stock) => stock.id === id && stock.region === region);
}

export function publicView(stock: Stock): PublicStock {
  const { insights: _insights, ...visible } = stock;
  return visible;
}
