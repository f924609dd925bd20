// The training lab's module worker: a LabEngine (lab-engine.ts) on its own thread, so the
// page keeps painting while both runs train.
import { loadLab } from '../../engine/lab.js';
import { LabEngine, type LabReply, type LabRequest } from './lab-engine.js';

const scope = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: { data: LabRequest }) => void) | null };

// A yield with no delay: setTimeout(0) is clamped to 4 ms once timeouts nest, which at full speed
// would idle the worker for a seventh of every 25-ms chunk. A message to itself only lets the
// worker's queue (the page's pause, speed, config) run first.
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldNow = () => new Promise<void>((r) => {
  waiting.push(r);
  channel.port2.postMessage(0);
});

const engine = new LabEngine({
  post: (m: LabReply) => scope.postMessage(m),
  rest: (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : yieldNow()),
  lab: () => loadLab(),
  budget: 25,
});

scope.onmessage = (e) => engine.receive(e.data);
