/**
 * Transient view state: what is selected, hovered, being renamed, and which menu or dialog is
 * open. Neither document nor runtime, never saved, never undone.
 */
import { create } from 'zustand';

export interface EdgePointer {
  vm: string;
  bridge: string;
  x: number;
  y: number;
}

export interface PathRequest {
  title: string;
  initial: string;
  resolve(path: string | null): void;
}

export interface ConfirmRequest {
  message: string;
  resolve(ok: boolean): void;
}

export interface UiState {
  /** Canvas ids of the selected nodes and edges (`vm:a`, `bridge:lan`, `nic:a:lan`). */
  selected: string[];
  renaming: string | null;
  hoveredEdge: EdgePointer | null;
  edgeMenu: EdgePointer | null;
  pathRequest: PathRequest | null;
  confirmRequest: ConfirmRequest | null;
  /** Bumped to ask the canvas to fit the view (menu, toolbar). */
  fitViewRequest: number;
  setSelected(ids: string[]): void;
  /** Keeps a renamed node selected under its new id. */
  renameSelected(oldId: string, newId: string): void;
  setRenaming(id: string | null): void;
  setHoveredEdge(edge: EdgePointer | null): void;
  setEdgeMenu(edge: EdgePointer | null): void;
  askPath(title: string, initial: string): Promise<string | null>;
  confirm(message: string): Promise<boolean>;
  requestFitView(): void;
}

export const useUi = create<UiState>()((set, get) => ({
  selected: [],
  renaming: null,
  hoveredEdge: null,
  edgeMenu: null,
  pathRequest: null,
  confirmRequest: null,
  fitViewRequest: 0,
  setSelected: (selected) => {
    const current = get().selected;
    if (current.length === selected.length && current.every((id, i) => id === selected[i])) return;
    set({ selected });
  },
  renameSelected: (oldId, newId) => set({ selected: get().selected.map((id) => (id === oldId ? newId : id)) }),
  setRenaming: (renaming) => set({ renaming }),
  setHoveredEdge: (hoveredEdge) => set({ hoveredEdge }),
  setEdgeMenu: (edgeMenu) => set({ edgeMenu, hoveredEdge: null }),
  askPath: (title, initial) =>
    new Promise((resolve) =>
      set({
        pathRequest: {
          title,
          initial,
          resolve: (path) => {
            set({ pathRequest: null });
            resolve(path);
          },
        },
      }),
    ),
  confirm: (message) =>
    new Promise((resolve) =>
      set({
        confirmRequest: {
          message,
          resolve: (ok) => {
            set({ confirmRequest: null });
            resolve(ok);
          },
        },
      }),
    ),
  requestFitView: () => set({ fitViewRequest: get().fitViewRequest + 1 }),
}));
