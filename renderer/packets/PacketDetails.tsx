/**
 * The selected packet: Wireshark's protocol tree beside a hex/ASCII dump. Selecting a field
 * highlights its bytes; clicking a byte selects the innermost field that covers it.
 */
import { useEffect, useMemo, useState } from 'react';
import type { FrameDetails, TreeNode } from '../../packet/page.js';
import { packetClient } from './packet-client.js';
import type { ViewerTab } from './packets-store.js';

type Path = number[];

function nodeAt(tree: readonly TreeNode[], path: Path): TreeNode | null {
  let nodes = tree;
  let node: TreeNode | null = null;
  for (const i of path) {
    node = nodes[i] ?? null;
    if (!node) return null;
    nodes = node.children;
  }
  return node;
}

/** Innermost field covering `offset` in data source `source` (the narrowest range wins). */
export function fieldAt(tree: readonly TreeNode[], source: number, offset: number, prefix: Path = []): Path | null {
  let best: Path | null = null;
  let bestLength = Infinity;
  tree.forEach((node, i) => {
    const path = [...prefix, i];
    if (node.source === source && node.length > 0 && offset >= node.start && offset < node.start + node.length && node.length <= bestLength) {
      best = path;
      bestLength = node.length;
    }
    const inner = fieldAt(node.children, source, offset, path);
    if (inner) {
      const n = nodeAt(tree, inner.slice(prefix.length));
      if (n && n.length <= bestLength) {
        best = inner;
        bestLength = n.length;
      }
    }
  });
  return best;
}

export function PacketDetails({ tab }: { tab: ViewerTab }) {
  const [frame, setFrame] = useState<FrameDetails | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Path | null>(null);
  const [open, setOpen] = useState<Set<string>>(new Set());

  useEffect(() => {
    setSelected(null);
    if (tab.selected === null) return setFrame(null);
    let current = true;
    packetClient()
      .call('frame', { id: tab.id, number: tab.selected })
      .then((f) => {
        if (!current) return;
        setFrame(f);
        setError(f ? null : `packet ${tab.selected} is no longer in memory (the ring evicted it)`);
      })
      .catch((err: Error) => current && setError(err.message));
    return () => {
      current = false;
    };
  }, [tab.id, tab.selected]);

  const field = frame && selected ? nodeAt(frame.tree, selected) : null;
  const source = field?.source ?? 0;

  const selectPath = (path: Path) => {
    setSelected(path);
    // Open every ancestor so a field picked from the bytes is visible in the tree.
    setOpen((prev) => {
      const next = new Set(prev);
      for (let i = 1; i < path.length; i++) next.add(path.slice(0, i).join('.'));
      return next;
    });
  };

  if (error) return <div className="wb-pdetails wb-perror">{error}</div>;
  if (!frame) return <div className="wb-pdetails wb-pmuted">Select a packet to see its protocol tree and bytes.</div>;
  return (
    <div className="wb-pdetails" data-testid="packet-details">
      <div className="wb-ptree" data-testid="protocol-tree">
        <Tree nodes={frame.tree} prefix={[]} selected={selected} open={open} setOpen={setOpen} onSelect={selectPath} />
      </div>
      <HexView bytes={frame.sources[source]?.bytes ?? new Uint8Array(0)} start={field?.start ?? -1} length={field?.length ?? 0} onByte={(offset) => { const p = fieldAt(frame.tree, source, offset); if (p) selectPath(p); }} />
    </div>
  );
}

function Tree(props: { nodes: TreeNode[]; prefix: Path; selected: Path | null; open: Set<string>; setOpen(s: Set<string>): void; onSelect(p: Path): void }) {
  const { nodes, prefix, selected, open, setOpen, onSelect } = props;
  return (
    <ul>
      {nodes.map((node, i) => {
        const path = [...prefix, i];
        const key = path.join('.');
        const isOpen = open.has(key);
        const isSelected = selected?.join('.') === key;
        return (
          <li key={key}>
            <div className={`wb-pnode${isSelected ? ' wb-psel' : ''}`} onClick={() => onSelect(path)} data-testid="tree-node" data-filter={node.filter}>
              {node.children.length > 0 ? (
                <button
                  className="wb-ptoggle"
                  onClick={(e) => {
                    e.stopPropagation();
                    const next = new Set(open);
                    if (isOpen) next.delete(key);
                    else next.add(key);
                    setOpen(next);
                  }}
                >
                  {isOpen ? '▾' : '▸'}
                </button>
              ) : (
                <span className="wb-ptoggle" />
              )}
              {node.label}
            </div>
            {isOpen && node.children.length > 0 && <Tree {...props} nodes={node.children} prefix={path} />}
          </li>
        );
      })}
    </ul>
  );
}

function HexView({ bytes, start, length, onByte }: { bytes: Uint8Array; start: number; length: number; onByte(offset: number): void }) {
  const lines = useMemo(() => Array.from({ length: Math.ceil(bytes.length / 16) }, (_, i) => i * 16), [bytes]);
  const lit = (o: number) => o >= start && o < start + length;
  return (
    <div className="wb-phex" data-testid="hex-view">
      {lines.map((base) => (
        <div key={base} className="wb-phexline">
          <span className="wb-poffset">{base.toString(16).padStart(4, '0')}</span>
          <span className="wb-phexbytes">
            {Array.from(bytes.subarray(base, base + 16), (b, i) => (
              <span key={i} className={lit(base + i) ? 'wb-plit' : undefined} onClick={() => onByte(base + i)} data-testid="hex-byte" data-offset={base + i}>
                {b.toString(16).padStart(2, '0')}
              </span>
            ))}
          </span>
          <span className="wb-pascii">
            {Array.from(bytes.subarray(base, base + 16), (b, i) => (
              <span key={i} className={lit(base + i) ? 'wb-plit' : undefined} onClick={() => onByte(base + i)}>
                {b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'}
              </span>
            ))}
          </span>
        </div>
      ))}
    </div>
  );
}
