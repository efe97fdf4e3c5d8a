// @vitest-environment happy-dom
/**
 * The inspector's text fields as a person uses them: type, see the problem under the field while
 * the draft is wrong, commit with Enter (Ctrl+Enter for several lines) or by leaving the field,
 * go back with Escape.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { Field, intProblem } from './Field.js';
import { LinesField, lines } from './LinesField.js';

afterEach(cleanup);

const cpus = (onCommit = vi.fn()) => {
  render(<Field label="CPUs" value="2" check={(d) => intProblem(d, 1, 64)} onCommit={onCommit} hint="how many" testId="cpus" />);
  return { input: screen.getByLabelText(/^CPUs/) as HTMLInputElement, onCommit };
};

describe('Field', () => {
  it('shows its label, value and hint', () => {
    const { input } = cpus();
    expect(input.value).toBe('2');
    expect(screen.getByText('how many')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows the problem of an invalid draft in place of the hint, on the field, and does not commit it', () => {
    const { input, onCommit } = cpus();
    fireEvent.change(input, { target: { value: '99' } });
    const field = input.closest('label')!;
    expect(within(field).getByRole('alert').textContent).toBe('must be 1–64');
    expect(input.className).toBe('invalid');
    expect(within(field).queryByText('how many')).toBeNull();
    fireEvent.keyDown(input, { key: 'Enter' });
    fireEvent.blur(input);
    expect(onCommit).not.toHaveBeenCalled();
  });

  it('commits a valid draft once, on Enter or when the field is left', () => {
    const { input, onCommit } = cpus();
    fireEvent.change(input, { target: { value: '4' } });
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onCommit).toHaveBeenCalledExactlyOnceWith('4');
    cleanup();
    const other = cpus();
    fireEvent.change(other.input, { target: { value: '8' } });
    fireEvent.blur(other.input);
    expect(other.onCommit).toHaveBeenCalledExactlyOnceWith('8');
  });

  it('goes back to the stored value on Escape; an unchanged value is never committed', () => {
    const { input, onCommit } = cpus();
    fireEvent.change(input, { target: { value: 'x' } });
    expect(screen.getByRole('alert').textContent).toBe('write a whole number');
    fireEvent.keyDown(input, { key: 'Escape' });
    expect(input.value).toBe('2');
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.blur(input);
    expect(onCommit).not.toHaveBeenCalled();
  });

  it('follows a new stored value (an undo, another window)', () => {
    const { rerender } = render(<Field label="Memory" value="128" check={() => null} onCommit={() => {}} />);
    rerender(<Field label="Memory" value="256" check={() => null} onCommit={() => {}} />);
    expect((screen.getByLabelText('Memory') as HTMLInputElement).value).toBe('256');
  });

  it('keeps its keys to itself (Delete or Ctrl+Z in a field never reach the canvas)', () => {
    const onKey = vi.fn();
    render(
      <div onKeyDown={onKey}>
        <Field label="Name" value="a" check={() => null} onCommit={() => {}} />
      </div>,
    );
    fireEvent.keyDown(screen.getByLabelText('Name'), { key: 'Delete' });
    expect(onKey).not.toHaveBeenCalled();
  });

  it('intProblem names the unit', () => {
    expect(intProblem('12', 64, 65_536, 'MiB')).toBe('must be 64–65536 MiB');
    expect(intProblem('1.5', 1, 2, 'MiB')).toBe('write a whole number of MiB');
    expect(intProblem(' 64 ', 64, 128)).toBeNull();
  });
});

describe('LinesField', () => {
  const routes = (onCommit = vi.fn()) => {
    const check = (d: string) => (lines(d).every((l) => / via /.test(l)) ? null : 'line 2: write "DESTINATION via GATEWAY"');
    render(<LinesField label="Routes" value={'default via 10.0.0.254'} check={check} onCommit={onCommit} hint="one per line" testId="routes" />);
    return { area: screen.getByLabelText(/^Routes/) as HTMLTextAreaElement, onCommit };
  };

  it('lets Enter start a new line and commits with Ctrl+Enter', () => {
    const { area, onCommit } = routes();
    fireEvent.change(area, { target: { value: 'default via 10.0.0.254\n10.2.0.0/24 via 10.0.0.3' } });
    fireEvent.keyDown(area, { key: 'Enter' });
    expect(onCommit).not.toHaveBeenCalled();
    fireEvent.keyDown(area, { key: 'Enter', ctrlKey: true });
    expect(onCommit).toHaveBeenCalledExactlyOnceWith('default via 10.0.0.254\n10.2.0.0/24 via 10.0.0.3');
  });

  it('shows the problem with its line under the field and does not commit it; Escape restores', () => {
    const { area, onCommit } = routes();
    fireEvent.change(area, { target: { value: 'default via 10.0.0.254\n10.2.0.0/24' } });
    const field = area.closest('label')!;
    expect(within(field).getByRole('alert').textContent).toBe('line 2: write "DESTINATION via GATEWAY"');
    expect(area.className).toBe('invalid');
    fireEvent.blur(area);
    expect(onCommit).not.toHaveBeenCalled();
    fireEvent.keyDown(area, { key: 'Escape' });
    expect(area.value).toBe('default via 10.0.0.254');
    expect(within(field).getByText('one per line')).toBeTruthy();
  });

  it('lines() keeps the non-empty lines, trimmed', () => {
    expect(lines('  a \n\n b\n')).toEqual(['a', 'b']);
  });
});
