/**
 * Log fields for an error nobody anticipated. Stack traces stay out of the
 * logs (they are shipped off the machine), and anything in the message that
 * looks like a JWT or a long opaque token is cut out before it is written.
 */
export function errorFields(error: unknown): { errorName: string; errorCode?: string; errorMessage?: string } {
  if (!(error instanceof Error)) return { errorName: typeof error };
  const code = (error as { code?: unknown }).code;
  return {
    errorName: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { errorCode: String(code) } : {}),
    errorMessage: error.message.replace(/[A-Za-z0-9_-]{16,}(?:\.[A-Za-z0-9_-]*){0,2}/g, '[redacted]').slice(0, 300),
  };
}
