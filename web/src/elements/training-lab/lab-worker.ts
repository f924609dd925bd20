// The training lab's module worker: a LabEngine (lab-engine.ts) on its own thread, so the
// page keeps painting while both runs train.
import { loadLab } from '../../engine/lab.js';
import { LabEngine, type LabReply, type LabRequest } from './lab-engine.js';

const scope = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: { data: LabRequest }) => void) | null };

const engine = new LabEngine({
  post: (m: LabReply) => scope.postMessage(m),
  rest: (ms) => new Promise((r) => setTimeout(r, ms)),
  lab: () => loadLab(),
  budget: 25,
});

scope.onmessage = (e) => engine.receive(e.data);
