import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';

/** The part of an upstream answer known once its headers have arrived. */
export interface UpstreamHead {
  statusCode: number;
  headers: IncomingHttpHeaders;
}

/** One request to one target, from its dispatch to the end of the answer's body. */
export interface UpstreamExchange {
  /** The status and headers; rejects with the error that ended the exchange before them. */
  head: Promise<UpstreamHead>;
  /** The whole body once it has arrived; rejects if the exchange fails first. */
  whole(): Promise<Buffer>;
  /** Writes the body to the client as it arrives, pausing the upstream while the client's buffer is full. */
  relay(res: ServerResponse): Promise<void>;
  abort(reason: Error): void;
}

/**
 * A request through undici's dispatch interface: the body arrives in the
 * handler's callbacks, so no response stream, body promise or abort-signal
 * listener is made per request (undici's request() builds all three). Body
 * chunks that come before the caller chose whole() or relay() wait in order.
 */
export function dispatchExchange(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): UpstreamExchange {
  let controller: Dispatcher.DispatchController | undefined;
  let abortedWith: Error | undefined;
  let failure: Error | undefined;
  let ended = false;
  const waiting: Buffer[] = [];
  // Set by relay(): where chunks go once the client is being written to.
  let sink: ((chunk: Buffer) => void) | undefined;
  // Set by whole() or relay(): told when the body has ended or failed.
  let settled: (() => void) | undefined;
  let headArrived: (head: UpstreamHead) => void = () => undefined;
  let headFailed: (error: Error) => void = () => undefined;
  const head = new Promise<UpstreamHead>((resolve, reject) => {
    headArrived = resolve;
    headFailed = reject;
  });

  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(started) {
      controller = started;
      if (abortedWith) started.abort(abortedWith);
    },
    onResponseStart(_controller, statusCode, headers) {
      // 1xx answers (100 Continue) are the connection's business, not the client's.
      if (statusCode >= 200) headArrived({ statusCode, headers });
    },
    onResponseData(_controller, chunk) {
      if (sink) sink(chunk);
      else waiting.push(chunk);
    },
    onResponseEnd() {
      ended = true;
      settled?.();
    },
    onResponseError(_controller, error) {
      failure = error;
      headFailed(error);
      settled?.();
    },
  };
  try {
    dispatcher.dispatch(options, handler);
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    headFailed(failure);
  }

  /** Resolves once the body has ended, rejects once the exchange has failed. */
  const whenSettled = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (failure) reject(failure);
        else if (ended) resolve();
      };
      settled = check;
      check();
    });

  return {
    head,
    async whole() {
      await whenSettled();
      return waiting.length === 1 ? (waiting[0] as Buffer) : Buffer.concat(waiting);
    },
    async relay(res) {
      let draining = false;
      const resume = () => {
        draining = false;
        controller?.resume();
      };
      const write = (chunk: Buffer) => {
        if (res.destroyed) return;
        // Chunks already parsed still arrive after pause(); one wait for 'drain' covers them all.
        if (!res.write(chunk) && !draining) {
          draining = true;
          controller?.pause();
          res.once('drain', resume);
        }
      };
      for (const chunk of waiting.splice(0)) write(chunk);
      sink = write;
      await whenSettled();
      if (!res.destroyed) res.end();
    },
    abort(reason) {
      abortedWith ??= reason;
      controller?.abort(reason);
    },
  };
}
