/**
 * happy-dom does no layout, so virtual lists would render nothing. Import this first in a test file: every
 * observed element reports a 1200×600 box, enough for the virtual table to render its first rows.
 */
class FakeResizeObserver {
  private readonly cb: ResizeObserverCallback
  constructor(cb: ResizeObserverCallback) {
    this.cb = cb
  }
  observe(target: Element): void {
    const rect = { x: 0, y: 0, top: 0, left: 0, bottom: 600, right: 1200, width: 1200, height: 600, toJSON: () => ({}) }
    const entry = { target, contentRect: rect, borderBoxSize: [{ blockSize: 600, inlineSize: 1200 }], contentBoxSize: [{ blockSize: 600, inlineSize: 1200 }], devicePixelContentBoxSize: [] } as unknown as ResizeObserverEntry
    queueMicrotask(() => this.cb([entry], this as unknown as ResizeObserver))
  }
  unobserve(): void {}
  disconnect(): void {}
}

globalThis.ResizeObserver = FakeResizeObserver as unknown as typeof ResizeObserver
export {}
