import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { errors, type Client, type Interaction, type Provider } from 'oidc-provider';
import { errorFields } from '@mcp-demo/service-kit';
import type { UserDirectory } from '../accounts/users.ts';
import { attributesOf, displayNameOf, requesterOf } from '../clients/client-metadata.ts';
import type { OtpMailer } from '../mail/otp-mailer.ts';
import { consentPage } from '../views/consent.ts';
import { messagePage } from '../views/error.ts';
import { emailPage, otpPage } from '../views/login.ts';
import type { CsrfTokens } from './csrf.ts';
import type { OneTimePasswords } from './one-time-passwords.ts';
import { allowFormRedirectTo } from './security-headers.ts';

export interface InteractionDependencies {
  provider: Provider;
  users: UserDirectory;
  otp: OneTimePasswords;
  mailer: OtpMailer;
  csrf: CsrfTokens;
  otpTtlSeconds: number;
}

interface Step {
  interaction: Interaction;
  client: Client;
  uid: string;
}

/** A problem the user can act on; shown as a page, never as a stack trace. */
class StepError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const emailSchema = z.email();

/** "45 seconds", "3 minutes": a wait as a person reads it. */
function waitText(seconds: number): string {
  if (seconds < 90) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

function formValue(req: Request, name: string): string {
  const body = req.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

/**
 * The user-facing steps of an authorization request, driven by
 * oidc-provider's interaction API: e-mail, one-time code, consent. Each
 * interaction has its own path (the interaction cookie is scoped to it).
 */
export function interactionRouter(deps: InteractionDependencies): Router {
  const { provider, users, otp, mailer, csrf } = deps;
  const ttlMinutes = Math.max(1, Math.round(deps.otpTtlSeconds / 60));
  const router = express.Router();

  router.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 }));
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  const load = async (req: Request, res: Response, expectedPrompt?: string): Promise<Step> => {
    const uid = String(req.params.uid);
    const interaction = await provider.interactionDetails(req, res);
    if (interaction.uid !== uid) throw new StepError(400, 'This page belongs to another sign-in request.');
    if (expectedPrompt && interaction.prompt.name !== expectedPrompt) {
      throw new StepError(400, 'This step of the sign-in request is already complete.');
    }
    const client = await provider.Client.find(String(interaction.params.client_id));
    if (!client) throw new StepError(400, 'The application that started this sign-in is no longer known.');
    return { interaction, client, uid };
  };

  const requireCsrf = (req: Request, _res: Response, next: NextFunction) => {
    if (!csrf.verify(String(req.params.uid), formValue(req, 'csrf'))) {
      next(new StepError(403, 'The form could not be verified. Reload the page and try again.'));
      return;
    }
    next();
  };

  const showEmail = (res: Response, step: Step, status = 200, error?: string, email?: string) => {
    res.status(status).type('html').send(
      emailPage({
        uid: step.uid,
        csrf: csrf.issue(step.uid),
        clientName: displayNameOf(step.client),
        ...(error ? { error } : {}),
        ...(email ? { email } : {}),
      }),
    );
  };

  const showOtp = (res: Response, step: Step, email: string, status = 200, error?: string) => {
    allowFormRedirectTo(res, step.interaction.params.redirect_uri);
    res.status(status).type('html').send(
      otpPage({
        uid: step.uid,
        csrf: csrf.issue(step.uid),
        clientName: displayNameOf(step.client),
        email,
        ttlMinutes,
        ...(error ? { error } : {}),
      }),
    );
  };

  const showConsent = (res: Response, step: Step) => {
    const details = step.interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const requested = [...(details.missingOIDCScope ?? []), ...Object.values(details.missingResourceScopes ?? {}).flat()];
    const fallback = String(step.interaction.params.scope ?? '').split(' ').filter(Boolean);
    const accountId = String(step.interaction.session?.accountId ?? '');
    const user = users.find(accountId);
    const ttl = attributesOf(step.client).access_token_ttl;
    allowFormRedirectTo(res, step.interaction.params.redirect_uri);
    res.type('html').send(
      consentPage({
        uid: step.uid,
        csrf: csrf.issue(step.uid),
        clientName: displayNameOf(step.client),
        templateArea: attributesOf(step.client).template_area,
        scopes: [...new Set(requested.length > 0 ? requested : fallback)],
        region: user?.region,
        email: user?.email ?? accountId,
        accessMinutes: typeof ttl === 'number' && ttl > 0 ? Math.round(ttl / 60) : undefined,
      }),
    );
  };

  router.get('/:uid', async (req, res) => {
    const step = await load(req, res);
    if (step.interaction.prompt.name === 'login') {
      const pending = await otp.pending(step.uid);
      if (pending) showOtp(res, step, pending.email);
      else showEmail(res, step);
      return;
    }
    if (step.interaction.prompt.name === 'consent') {
      showConsent(res, step);
      return;
    }
    throw new StepError(400, 'This sign-in step is not supported.');
  });

  router.post('/:uid/email', requireCsrf, async (req, res) => {
    const step = await load(req, res, 'login');
    const email = formValue(req, 'email').trim();
    if (!emailSchema.safeParse(email).success || email.length > 254) {
      showEmail(res, step, 400, 'Enter a valid e-mail address.', email.slice(0, 254));
      return;
    }
    const user = users.find(email);
    const started = await otp.start(step.uid, user?.email ?? email, user !== undefined);
    if (started.outcome === 'throttled') {
      // Counted by address whether or not it is approved: the same answer for both.
      res.setHeader('Retry-After', String(started.retryAfterSeconds));
      showEmail(res, step, 429, `Too many codes have been requested. Try again in ${waitText(started.retryAfterSeconds)}.`, email);
      return;
    }
    if (user && started.code) {
      // Not awaited: an approved address must not answer slower (or differently) than an unknown one.
      mailer
        .send({ to: user.email, code: started.code, requester: requesterOf(step.client), ttlSeconds: deps.otpTtlSeconds })
        .catch((error: unknown) => res.locals.log.error(errorFields(error), 'sending the one-time code failed'));
    }
    res.redirect(303, `${req.baseUrl}/${step.uid}`);
  });

  router.post('/:uid/otp', requireCsrf, async (req, res) => {
    const step = await load(req, res, 'login');
    const result = await otp.verify(step.uid, formValue(req, 'otp'));
    switch (result.outcome) {
      case 'accepted': {
        const user = users.find(result.email);
        if (!user) throw new StepError(400, 'This address may not sign in.');
        await provider.interactionFinished(req, res, { login: { accountId: user.email } }, { mergeWithLastSubmission: false });
        return;
      }
      case 'wrong': {
        const pending = await otp.pending(step.uid);
        const left = result.attemptsLeft === 1 ? '1 attempt' : `${result.attemptsLeft} attempts`;
        showOtp(res, step, pending?.email ?? '', 400, `That code is not correct. ${left} left.`);
        return;
      }
      case 'throttled': {
        const pending = await otp.pending(step.uid);
        const message = result.addressLocked
          ? `Too many incorrect codes for this address. Try again in ${waitText(result.retryAfterSeconds)}.`
          : `Too many incorrect codes. Wait ${waitText(result.retryAfterSeconds)} before trying again.`;
        res.setHeader('Retry-After', String(result.retryAfterSeconds));
        showOtp(res, step, pending?.email ?? '', 429, message);
        return;
      }
      case 'locked':
        showEmail(res, step, 400, 'Too many incorrect codes. Enter your e-mail address to get a new code.');
        return;
      case 'expired':
        showEmail(res, step, 400, 'The code has expired. Enter your e-mail address to get a new code.');
        return;
      case 'missing':
        showEmail(res, step, 400, 'Enter your e-mail address to get a code.');
        return;
    }
  });

  router.post('/:uid/restart', requireCsrf, async (req, res) => {
    const step = await load(req, res, 'login');
    await otp.clear(step.uid);
    res.redirect(303, `${req.baseUrl}/${step.uid}`);
  });

  router.post('/:uid/consent', requireCsrf, async (req, res) => {
    const step = await load(req, res, 'consent');
    const decision = formValue(req, 'decision');
    if (decision === 'deny') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user denied the request' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (decision !== 'allow') throw new StepError(400, 'Choose Allow or Deny.');

    const { interaction } = step;
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const accountId = String(interaction.session?.accountId ?? '');
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: step.client.clientId });
    if (!grant) throw new StepError(400, 'This sign-in request has expired.');
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof StepError) {
      res.status(error.status).type('html').send(messagePage('Sign-in problem', error.message));
      return;
    }
    if (error instanceof errors.SessionNotFound) {
      res.status(400).type('html').send(messagePage('Sign-in expired', 'This sign-in request has expired or is already complete.'));
      return;
    }
    if (error instanceof errors.OIDCProviderError && error.status < 500) {
      const description = (error as { error_description?: string }).error_description ?? error.message;
      res.status(error.status).type('html').send(messagePage('Sign-in problem', description));
      return;
    }
    // Body parser refusals (too large, malformed) carry a 4xx status of their own.
    const status = (error as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).type('html').send(messagePage('Sign-in problem', 'The form could not be read. Please try again.'));
      return;
    }
    res.locals.log.error(errorFields(error), 'interaction failed');
    res.status(500).type('html').send(messagePage('Sign-in problem', 'Something went wrong. Please try again.'));
  });

  return router;
}
