/**
 * The lab drawn with React Flow. The document store is the source of every node and edge;
 * gestures become typed changes (drags tagged `later` and recorded on mouse-up), selection
 * lives in the UI store, and live counters bypass React entirely (see NicEdge).
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useState, type DragEvent } from 'react';
import {
  applyNodeChanges,
  Background,
  ConnectionMode,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore,
  useStoreApi,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type OnDelete,
} from '@xyflow/react';
import { labStore, useLab } from '../store/lab-store.js';
import { runtimeStore, useRuntime } from '../store/runtime-store.js';
import { useUi } from '../store/ui-store.js';
import type { LabChange } from '../../shared/lab-changes.js';
import { checkConnection, nextFreeName, nodeId, parseNicEdgeId, parseNodeId } from '../store/edit-rules.js';
import { useActions } from '../app/actions-context.js';
import { indexProblems, syncEdges, syncNodes, type LabFlowNode, type NicFlowEdge } from './flow-model.js';
import { VmNode } from './VmNode.js';
import { BridgeNode } from './BridgeNode.js';
import { NicEdge } from './NicEdge.js';
import { PALETTE_MIME } from './Palette.js';
import { setEdgeLabelsVisible, setViewportSource, viewChanged } from './level-of-detail.js';
import { openConsole } from '../consoles/consoles.js';
import { useConsoles } from '../consoles/consoles-store.js';

const nodeTypes = { vm: VmNode, bridge: BridgeNode };
const edgeTypes = { nic: NicEdge };
const GRID = 20;
/** Below this zoom, edge labels are unreadable anyway and cost frame time: hide them. */
const LABEL_MIN_ZOOM = 0.55;
const DELETE_KEYS = ['Delete', 'Backspace'];

const snap = (v: number) => Math.round(v / GRID) * GRID;

function positionChange(id: string, position: { x: number; y: number }): LabChange | null {
  const ref = parseNodeId(id);
  if (!ref) return null;
  return ref.kind === 'vm' ? { kind: 'vm.update', name: ref.name, patch: { position } } : { kind: 'bridge.update', name: ref.name, patch: { position } };
}

export function Canvas() {
  const document = useLab((s) => s.document);
  const problems = useRuntime((s) => s.problems);
  const selected = useUi((s) => s.selected);
  const fitViewRequest = useUi((s) => s.fitViewRequest);
  const zoomedOut = useStore((s) => s.transform[2] < LABEL_MIN_ZOOM);
  const flow = useReactFlow<LabFlowNode, NicFlowEdge>();
  const actions = useActions();
  const [nodes, setNodes] = useState<LabFlowNode[]>([]);
  const [edges, setEdges] = useState<NicFlowEdge[]>([]);

  const problemIndex = useMemo(() => indexProblems(problems), [problems]);
  const selectedSet = useMemo(() => new Set(selected), [selected]);

  useLayoutEffect(() => {
    setNodes((prev) => (document ? syncNodes(prev, document, problemIndex, selectedSet) : []));
    setEdges((prev) => (document ? syncEdges(prev, document, problemIndex, selectedSet) : []));
  }, [document, problemIndex, selectedSet]);

  useEffect(() => setEdgeLabelsVisible(!zoomedOut), [zoomedOut]);
  const flowStore = useStoreApi<LabFlowNode, NicFlowEdge>();
  useEffect(() => {
    setViewportSource(() => {
      const { transform, width, height } = flowStore.getState();
      return width > 0 ? { x: transform[0], y: transform[1], zoom: transform[2], width, height } : null;
    });
    return () => setViewportSource(() => null);
  }, [flowStore]);

  // Benchmarks and e2e place the viewport exactly (only when the page was opened with testHooks=1).
  useEffect(() => {
    if (window.__wirebenchTest) window.__wirebenchTest.setViewport = (viewport) => void flow.setViewport(viewport);
  }, [flow]);

  useEffect(() => {
    if (fitViewRequest > 0) void flow.fitView({ padding: 0.15, duration: 200 });
  }, [fitViewRequest, flow]);

  const applySelection = useCallback((changes: ReadonlyArray<{ id: string; selected: boolean }>) => {
    if (changes.length === 0) return;
    const next = new Set(useUi.getState().selected);
    for (const c of changes) {
      if (c.selected) next.add(c.id);
      else next.delete(c.id);
    }
    useUi.getState().setSelected([...next]);
  }, []);

  const onNodesChange = useCallback(
    (changes: NodeChange<LabFlowNode>[]) => {
      applySelection(changes.flatMap((c) => (c.type === 'select' ? [{ id: c.id, selected: c.selected }] : [])));
      const moves: LabChange[] = [];
      let dragging = false;
      let dragEnded = false;
      for (const c of changes) {
        if (c.type !== 'position') continue;
        if (c.dragging) dragging = true;
        else dragEnded = true;
        if (c.position) {
          const change = positionChange(c.id, { x: c.position.x, y: c.position.y });
          if (change) moves.push(change);
        }
      }
      // The last position of a drag (dragging: false) still belongs to that drag's undo step;
      // a move with no drag in progress (arrow keys) is a step of its own.
      const inDrag = dragging || labStore.getState().history.pending !== null;
      if (moves.length) labStore.getState().apply(moves, inDrag ? 'later' : 'now');
      if (dragEnded) labStore.getState().commitPending();
      // Sizes and other view-only changes stay in the local node list.
      const local = changes.filter((c) => c.type === 'dimensions');
      if (local.length) setNodes((nds) => applyNodeChanges(local, nds));
    },
    [applySelection],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<NicFlowEdge>[]) => applySelection(changes.flatMap((c) => (c.type === 'select' ? [{ id: c.id, selected: c.selected }] : []))),
    [applySelection],
  );

  /** Delete/Backspace: one undo step for everything selected. */
  const onDelete: OnDelete<LabFlowNode, NicFlowEdge> = useCallback(({ nodes: gone, edges: cut }) => {
    const goneIds = new Set(gone.map((n) => n.id));
    const changes: LabChange[] = [];
    for (const edge of cut) {
      const nic = parseNicEdgeId(edge.id);
      if (nic && !goneIds.has(edge.source) && !goneIds.has(edge.target)) changes.push({ kind: 'nic.remove', ...nic });
    }
    for (const node of gone) {
      const ref = parseNodeId(node.id);
      if (ref) changes.push(ref.kind === 'vm' ? { kind: 'vm.remove', name: ref.name } : { kind: 'bridge.remove', name: ref.name });
    }
    labStore.getState().apply(changes);
    useUi.getState().setSelected([]);
  }, []);

  const isValidConnection = useCallback((c: Connection | NicFlowEdge) => {
    const doc = labStore.getState().document;
    return !!doc && checkConnection(doc, c.source, c.target).ok;
  }, []);

  const onConnect = useCallback((c: Connection) => {
    const doc = labStore.getState().document;
    if (!doc) return;
    const checked = checkConnection(doc, c.source, c.target);
    if (!checked.ok) return runtimeStore.getState().notify('error', checked.reason);
    labStore.getState().apply({ kind: 'nic.add', nic: { vm: checked.vm, bridge: checked.bridge, link: 'up' } });
  }, []);

  /** A refused connection explains itself instead of silently snapping back. */
  const onConnectEnd = useCallback((_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    const doc = labStore.getState().document;
    if (!doc || state.isValid || !state.fromNode || !state.toNode || state.fromNode.id === state.toNode.id) return;
    const checked = checkConnection(doc, state.fromNode.id, state.toNode.id);
    if (!checked.ok) runtimeStore.getState().notify('error', checked.reason);
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (!e.dataTransfer.types.includes(PALETTE_MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(PALETTE_MIME);
      const doc = labStore.getState().document;
      if ((kind !== 'vm' && kind !== 'bridge') || !doc) return;
      e.preventDefault();
      const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const position = { x: snap(at.x), y: snap(at.y) };
      const name = nextFreeName(doc, kind);
      const change: LabChange =
        kind === 'vm'
          ? { kind: 'vm.add', vm: { name, image: { kind: 'tiny' }, cpus: 1, memoryMiB: 128, position } }
          : { kind: 'bridge.add', bridge: { name, position } };
      if (labStore.getState().apply(change)) useUi.getState().setSelected([nodeId(kind, name)]);
    },
    [flow],
  );

  const edgePointer = (e: { clientX: number; clientY: number }, edge: NicFlowEdge) => {
    const nic = edge.data!.nic;
    return { vm: nic.vm, bridge: nic.bridge, x: e.clientX, y: e.clientY };
  };

  return (
    <div className={`wb-canvas ${zoomedOut ? 'wb-zoomed-out' : ''}`} onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<LabFlowNode, NicFlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onDelete={onDelete}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeDragStop={() => labStore.getState().commitPending()}
        onSelectionDragStop={() => labStore.getState().commitPending()}
        onEdgeClick={(e, edge) => {
          // Shift/Ctrl-click only selects (for the inspector); a plain click pulls or re-plugs the cable.
          if (e.shiftKey || e.ctrlKey || e.metaKey) return;
          useUi.getState().setSelected([edge.id]);
          void actions.toggleLink({ vm: edge.data!.nic.vm, bridge: edge.data!.nic.bridge });
        }}
        onEdgeMouseEnter={(e, edge) => useUi.getState().setHoveredEdge(edgePointer(e, edge))}
        onEdgeMouseMove={(e, edge) => useUi.getState().setHoveredEdge(edgePointer(e, edge))}
        onEdgeMouseLeave={() => useUi.getState().setHoveredEdge(null)}
        onEdgeContextMenu={(e, edge) => {
          e.preventDefault();
          useUi.getState().setEdgeMenu(edgePointer(e, edge));
        }}
        onNodeDoubleClick={(e, node) => {
          // Double-click a VM: its console (the name renames, the ▶/■ button starts/stops).
          const ref = parseNodeId(node.id);
          if (ref?.kind !== 'vm' || (e.target as HTMLElement).closest('button, input')) return;
          openConsole(ref.name);
        }}
        onNodeContextMenu={(e, node) => {
          const ref = parseNodeId(node.id);
          if (ref?.kind !== 'vm') return;
          e.preventDefault();
          useConsoles.getState().setVmMenu({ vm: ref.name, x: e.clientX, y: e.clientY });
        }}
        onPaneClick={() => useUi.getState().setSelected([])}
        onMoveEnd={viewChanged}
        connectionMode={ConnectionMode.Loose}
        deleteKeyCode={DELETE_KEYS}
        snapToGrid
        snapGrid={[GRID, GRID]}
        onlyRenderVisibleElements
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        minZoom={0.05}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={GRID} />
        <MiniMap pannable zoomable nodeStrokeWidth={3} />
        <Controls />
      </ReactFlow>
    </div>
  );
}
