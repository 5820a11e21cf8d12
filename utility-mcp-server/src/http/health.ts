import { Router } from 'express';

/** Liveness only: upstream outages show up as tool errors, not as a dead server to be restarted. */
export function healthRoute(): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  return router;
}
