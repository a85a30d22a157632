/**
 * `verify events`: a transaction created in one region publishes `Transaction Created` to that
 * region's bus, which forwards it to the peer region's bus, whose rule delivers it to the peer's
 * function, which records it. For each region as origin, create one transaction and poll the peer's
 * function (bounded, backing off) until it has recorded that event.
 */

import { randomUUID } from 'node:crypto';
import { suggest } from '../advice.js';
import { type FailureReport, failureReport, InconsistencyError, UsageError } from '../errors.js';
import type { CreateAnswer, ReceivedAnswer } from '../function-contract.js';
import type { Target } from '../target.js';
import { type OutboxBacklog, readBacklog } from '../txn/backlog.js';
import { createPayload, stackRegions } from '../txn/index.js';
import { FunctionInvoker } from '../txn/invoke.js';
import { verifyId } from './ids.js';

interface DeliveryCheck {
  origin: string;
  destination: string;
  transactionId: string;
  eventPublished: boolean;
  delivered: boolean;
  /** From the create's answer to the first poll that saw the event (an upper bound on delivery time). */
  deliveryLatencyMs?: number;
  polls: number;
  problem?: string;
}

export interface EventsReport {
  stack: string;
  regions: string[];
  timeoutMs: number;
  passed: boolean;
  deliveries: DeliveryCheck[];
  /** Per region; an unpublished event older than the timeout is a problem. */
  backlog: OutboxBacklog[];
  problems: string[];
  /** Set when an event did not arrive (exit 5): the report is the result either way. */
  error?: FailureReport;
}

function eventsFailure(stack: string, problems: string[]): FailureReport {
  return failureReport(
    new InconsistencyError(`Cross-region events check failed for stack "${stack}": ${problems.join('; ')}`, {
      advice: `Check the forwarding rule ${stack}-forward and delivery rule ${stack}-deliver on both buses and the sweep rule ${stack}-sweep on the default buses (${suggest(`status --stack ${stack}`)}), then run ${suggest(`up --stack ${stack}`)} to repair them.`,
    }),
  );
}

/** Poll delays: quick at first (delivery is usually sub-second), then backing off to at most 1 s. */
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1000;
const BACKOFF = 1.6;

export async function verifyEvents(
  target: Target,
  options: { stack: string; regions?: string[]; timeoutMs: number },
): Promise<EventsReport> {
  const regions = await stackRegions(target, options.stack, options.regions);
  if (regions.length !== 2) {
    throw new UsageError(
      `verify events needs two peered regions; stack "${options.stack}" has ${regions.join(', ')} selected.`,
    );
  }
  const invoker = new FunctionInvoker(target, options.stack);
  try {
    const deadline = performance.now() + options.timeoutMs;
    const [a, b] = regions as [string, string];
    // Both directions at once: they are independent, and the run then takes one delivery, not two.
    const deliveries = await Promise.all([
      checkDelivery(invoker, a, b, deadline),
      checkDelivery(invoker, b, a, deadline),
    ]);
    const backlog = await Promise.all(regions.map((region) => readBacklog(invoker, region)));
    const problems = [
      ...deliveries.filter((d) => d.problem).map((d) => d.problem as string),
      ...backlog
        .filter((r) => r.oldestAgeSeconds !== null && r.oldestAgeSeconds * 1000 > options.timeoutMs)
        .map(
          (r) =>
            `${r.unpublished} event(s) in ${r.region}'s outbox are unpublished, the oldest (transaction ${r.oldestTransactionId}) for ${Math.round(r.oldestAgeSeconds as number)} s`,
        ),
    ];
    const report: EventsReport = {
      stack: options.stack,
      regions,
      timeoutMs: options.timeoutMs,
      passed: problems.length === 0,
      deliveries,
      backlog,
      problems,
      ...(problems.length > 0 ? { error: eventsFailure(options.stack, problems) } : {}),
    };
    return report;
  } finally {
    invoker.close();
  }
}

async function checkDelivery(
  invoker: FunctionInvoker,
  origin: string,
  destination: string,
  deadline: number,
): Promise<DeliveryCheck> {
  const transactionId = verifyId('events', randomUUID());
  const created = await invoker.invoke<CreateAnswer>(origin, createPayload('1.00', transactionId));
  const base = { origin, destination, transactionId, eventPublished: created.answer.eventPublished };
  if (!created.answer.eventPublished) {
    return {
      ...base,
      delivered: false,
      polls: 0,
      problem: `the function in ${origin} did not publish the event for ${transactionId}`,
    };
  }
  const published = performance.now();
  let delay = FIRST_POLL_MS;
  let polls = 0;
  for (;;) {
    polls++;
    const { answer } = await invoker.invoke<ReceivedAnswer>(destination, {
      operation: 'received',
      transactionId,
    });
    const recorded = answer.events.some(
      (e) =>
        e.transactionId === transactionId && e.originRegion === origin && e.receivedRegion === destination,
    );
    if (recorded) {
      return { ...base, delivered: true, deliveryLatencyMs: performance.now() - published, polls };
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      return {
        ...base,
        delivered: false,
        polls,
        problem: `the event for ${transactionId} created in ${origin} never reached ${destination} (waited ${Math.round(performance.now() - published)} ms)`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, remaining)));
    delay = Math.min(delay * BACKOFF, MAX_POLL_MS);
  }
}
