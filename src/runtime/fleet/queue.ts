/** A place in the queue. A removed node keeps its `next`, so a walk paused on it can go on. */
export interface QueueNode<T> {
  readonly value: T;
  prev: QueueNode<T> | undefined;
  next: QueueNode<T> | undefined;
  removed: boolean;
}

/**
 * The waiting requests in submission order: a linked list, so that a dispatch pass can take
 * requests out of the middle in O(1) while it walks, even across the `await`s of
 * compatibility checks.
 */
export class RequestQueue<T extends { readonly id: number }> {
  #head: QueueNode<T> | undefined;
  #tail: QueueNode<T> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  first(): QueueNode<T> | undefined {
    return this.#head;
  }

  /** The next waiting node after `node`, which may have been removed meanwhile. */
  after(node: QueueNode<T>): QueueNode<T> | undefined {
    let next = node.next;
    while (next?.removed) next = next.next;
    return next;
  }

  push(value: T): QueueNode<T> {
    return this.#insertBefore(undefined, value);
  }

  /** Back in submission order: before every younger request (a retry goes near the head). */
  insertInOrder(value: T): QueueNode<T> {
    let before = this.#head;
    while (before && before.value.id < value.id) before = before.next;
    return this.#insertBefore(before, value);
  }

  remove(node: QueueNode<T>): void {
    if (node.removed) return;
    node.removed = true;
    if (node.prev) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.#tail = node.prev;
    this.#size--;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let node = this.#head; node; node = node.next) yield node.value;
  }

  #insertBefore(before: QueueNode<T> | undefined, value: T): QueueNode<T> {
    const prev = before ? before.prev : this.#tail;
    const node: QueueNode<T> = { value, prev, next: before, removed: false };
    if (prev) prev.next = node;
    else this.#head = node;
    if (before) before.prev = node;
    else this.#tail = node;
    this.#size++;
    return node;
  }
}
