/** In-page notifications (alerts fired, import results); not persisted. */
import { create } from "zustand";

export interface Toast {
  id: number;
  title: string;
  body: string;
  tone: "info" | "success" | "warning" | "alert";
}

export interface ToastState {
  toasts: Toast[];
  push(toast: Omit<Toast, "id">): number;
  dismiss(id: number): void;
}

let next = 1;

export const useToastStore = create<ToastState>()((set, get) => ({
  toasts: [],
  push: (toast) => {
    const id = next++;
    // Keep the newest five: a burst of alerts must not cover the page.
    set({ toasts: [...get().toasts, { ...toast, id }].slice(-5) });
    return id;
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));
