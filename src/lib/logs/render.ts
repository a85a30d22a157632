/** How `dsqlctl logs` prints an event: `[region] <ISO time> <message>`, the region coloured on a terminal. */
import { Chalk, type ChalkInstance } from 'chalk';
import type { LogEvent } from './index.js';

const COLOURS = ['cyan', 'magenta', 'yellow', 'green', 'blue'] as const;

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function regionPainter(regions: string[], stream: { isTTY?: boolean } = process.stdout) {
  const colour = stream.isTTY === true && !process.env.NO_COLOR;
  const chalk: ChalkInstance = new Chalk({ level: colour ? 1 : 0 });
  return (region: string) => {
    const index = Math.max(0, regions.indexOf(region)) % COLOURS.length;
    return chalk[COLOURS[index] as (typeof COLOURS)[number]](`[${region}]`);
  };
}

export function renderEvent(event: LogEvent, paint: (region: string) => string): string {
  return `${paint(event.region)} ${new Date(event.timestamp).toISOString()} ${event.message}`;
}

/** `--json`: one JSON object per line (JSON Lines). */
export function renderEventJson(event: LogEvent): string {
  return JSON.stringify({ ...event, time: new Date(event.timestamp).toISOString() });
}
