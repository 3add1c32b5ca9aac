/**
 * A one-line progress bar on a terminal (`replaying [#######-------]  512/1000  51%`), redrawn in
 * place with a carriage return at most ten times a second, and erased when done so the summary
 * line that follows stands alone. On anything but a terminal it draws nothing.
 */
export class ProgressBar {
  readonly #write: (text: string) => void;
  readonly #label: string;
  readonly #total: number;
  readonly #enabled: boolean;
  #done = 0;
  #drawnAt = 0;

  constructor(write: (text: string) => void, label: string, total: number, enabled: boolean) {
    this.#write = write;
    this.#label = label;
    this.#total = total;
    this.#enabled = enabled && total > 0;
    if (this.#enabled) this.#draw();
  }

  tick(n = 1): void {
    this.#done += n;
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#drawnAt >= 100 || this.#done >= this.#total) this.#draw();
  }

  finish(): void {
    if (!this.#enabled) return;
    this.#draw();
    this.#write('\r\x1b[K');
  }

  #draw(): void {
    this.#drawnAt = Date.now();
    const width = 30;
    const share = Math.min(1, this.#done / this.#total);
    const filled = Math.round(share * width);
    const count = `${String(this.#done).padStart(String(this.#total).length)}/${this.#total}`;
    this.#write(`\r${this.#label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count} ${String(Math.floor(share * 100)).padStart(3)}%`);
  }
}
