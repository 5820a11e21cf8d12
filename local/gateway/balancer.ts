import type { Dispatcher } from 'undici';

/**
 * Kong's round-robin balancer over a service's targets, with nginx's smooth
 * weighted round-robin (equal weights take turns; weight 200 gets twice the
 * turns of weight 100, spread out rather than in bursts).
 *
 * A target whose connection failed is passed over for a short while, so that
 * the next requests do not all try a replica that is down (a passive health
 * check that heals by itself: once the pause is over the target is tried
 * again). When every target is paused, they are tried anyway: a guess beats
 * a certain 502.
 */

export interface Target {
  /** e.g. http://127.0.0.1:3000 */
  origin: string;
  /** Host header for the upstream unless the route preserves the client's. */
  host: string;
  dispatcher: Dispatcher;
}

export interface Balancer {
  readonly targets: readonly Target[];
  /** The next target for an attempt, preferring ones this request has not tried and that are not paused. */
  next(tried?: ReadonlySet<Target>): Target;
  /** A connection to the target failed: pass it over for a while. */
  failed(target: Target): void;
}

/** How long a target that refused a connection is passed over. */
export const FAILED_TARGET_PAUSE_MS = 2_000;

interface Slot {
  target: Target;
  weight: number;
  current: number;
  pausedUntil: number;
}

export function createBalancer(targets: ReadonlyArray<{ target: Target; weight: number }>, now: () => number = Date.now): Balancer {
  if (targets.length === 0) throw new Error('a balancer needs at least one target');
  const slots: Slot[] = targets.map(({ target, weight }) => ({ target, weight, current: 0, pausedUntil: 0 }));

  const pick = (candidates: Slot[]): Slot => {
    let total = 0;
    let best: Slot | undefined;
    for (const slot of candidates) {
      slot.current += slot.weight;
      total += slot.weight;
      if (!best || slot.current > best.current) best = slot;
    }
    // candidates is never empty (see next()).
    const chosen = best as Slot;
    chosen.current -= total;
    return chosen;
  };

  return {
    targets: slots.map((slot) => slot.target),
    next(tried) {
      if (slots.length === 1) return (slots[0] as Slot).target;
      const at = now();
      const untried = tried ? slots.filter((slot) => !tried.has(slot.target)) : slots;
      const pool = untried.length > 0 ? untried : slots;
      const healthy = pool.filter((slot) => slot.pausedUntil <= at);
      return pick(healthy.length > 0 ? healthy : pool).target;
    },
    failed(target) {
      const slot = slots.find((candidate) => candidate.target === target);
      if (slot) slot.pausedUntil = now() + FAILED_TARGET_PAUSE_MS;
    },
  };
}
