/**
 * Tests edit the engine's lab the way every client does: a change batch against the current
 * revision (`lab.change`). `changes` may be computed from the current document.
 */
import type { CommandResult } from '../../../shared/api.js';
import type { LabDocument } from '../../../shared/lab.js';
import { changesToWire, type LabChange } from '../../../shared/lab-changes.js';
import type { Engine } from '../engine.js';

export async function changeLab(engine: Engine, changes: LabChange[] | ((current: LabDocument) => LabChange[])): Promise<CommandResult<'lab.change'>> {
  const current = await engine.invoke('lab.current', {});
  if (!current) throw new Error('changeLab: no lab is open');
  const batch = typeof changes === 'function' ? changes(current.document) : changes;
  return engine.invoke('lab.change', { baseRevision: current.revision, changes: changesToWire(batch) });
}
