// Validating one File with several Workers at once (intake.js uses it for large files on
// machines of 4 cores or more, or when asked). The file is cut into chunks of about CHUNK_BYTES at line
// ends; each Worker validates whole chunks on its own (worker.js validateChunk), and the first
// Worker's Sequencer takes them back in file order (shared/batch/chunked_batches.h): it renumbers
// their rows, applies the duplicate policy across the whole file and builds the very batches one
// Worker would have built. What comes out — 'slice' and 'done' messages — is what worker.js's
// one-Worker validation posts, so intake.js handles both the same way.
//
// A cut is made just past the first line end at or after each multiple of the chunk size; a
// chunk validated from a cut that lies inside a quoted value (its Worker could not know) starts
// somewhere else than where the chunk before it really ended, and is validated again from there.

export const CHUNK_BYTES = 4 << 20;
const JOBS_PER_WORKER = 2;  // chunks handed to a Worker before it has returned one (reads ahead)

export class ChunkedValidation {
  // sequencer: the Worker that plans and sequences (call(message, transfer) sends it a request and
  // resolves with its reply); workers: the Workers that validate chunks (the sequencer may be one
  // of them); emit(message): the 'slice' and 'done' messages; fail(error).
  constructor({ sequencer, workers, call, id, file, fields, mapping, options, chunkBytes = CHUNK_BYTES, maxPendingBatches, emit, fail }) {
    Object.assign(this, { sequencer, workers, call, id, file, fields, mapping, options, chunkBytes, maxPendingBatches, emit, fail });
    this.started = performance.now();
    this.all = [...new Set([sequencer, ...workers])];
    this.inFlight = workers.map(() => 0);
    this.jobs = new Map();      // job id -> {slot, start (exact) or from/to (speculative), worker}
    this.queue = [];            // job ids waiting for a Worker, in order
    this.nextJob = 0;
    this.results = new Map();   // slot -> chunk results not yet sequenced (a slot may have several)
    this.slots = 0;             // slots: the chunks of the first cut, one per chunkBytes
    this.next = 0;              // the next slot to sequence
    this.expected = 0;          // where the next chunk must start: the end of those sequenced
    this.offset = 0;            // row numbering offset of the next chunk
    this.pendingBatches = 0;    // batches emitted and not acknowledged
    this.sequencing = false;
    this.stopped = false;
    this.totals = { rows: 0, valid: 0, failed: 0, errors: 0, last_row: 0, tallies: new Map() };
    this.adjustments = null;
    this.batches = 0;
    this.heapPeak = 0;
    this.wasmMs = 0;
    this.header = null;
    this.chunks = 0;            // chunks sequenced
    this.redone = 0;            // chunks validated again from where the one before really ended
  }

  // Resolves false when the file is not for chunks (see worker.js plan): nothing was emitted,
  // and the caller validates it in one Worker.
  async start() {
    const { file, fields, mapping, options } = this;
    const plan = await this.call({ type: 'plan', file, fields, mapping, options });
    if (!plan || this.stopped) return false;
    const header = new Uint8Array(await file.slice(0, plan.headerEnd).arrayBuffer());
    if (this.stopped) return false;
    const seq = await this.call({
      type: 'sequence-start', vid: this.id, fields, mapping, options: { ...options, dialect: plan.dialect }, header,
    });
    if (this.stopped) {  // stopped while the Sequencer was being made: it goes too
      this.sequencer.postMessage({ type: 'forget', id: this.id });
      return false;
    }
    if (seq.error) return false;
    this.plan = plan;
    this.header = plan.header;
    this.expected = plan.headerEnd;
    this.slots = Math.max(1, Math.ceil(file.size / this.chunkBytes));
    for (let k = 0; k < this.slots; k++) this.addJob({ slot: k, from: k * this.chunkBytes, to: (k + 1) * this.chunkBytes });
    this.dispatch();
    return true;
  }

  addJob(job, first = false) {
    const id = this.nextJob++;
    this.jobs.set(id, job);
    if (first) this.queue.unshift(id);
    else this.queue.push(id);
  }

  // A chunk of `slot` validated from exactly `start`, unless one is already there or on its way;
  // the slot's other chunks not yet started are dropped.
  redo(slot, start) {
    for (const job of this.jobs.values()) if (job.slot === slot && job.start === start) return;
    if ((this.results.get(slot) || []).some((r) => r.start === start)) return;
    for (const [id, job] of this.jobs) {
      if (job.slot !== slot) continue;
      const queued = this.queue.indexOf(id);
      if (queued >= 0) {
        this.queue.splice(queued, 1);
        this.jobs.delete(id);
      } else {
        this.workers[job.worker].postMessage({ type: 'drop', id: this.id, job: id });
      }
    }
    this.redone++;
    this.addJob({ slot, start, urgent: true }, true);
    this.dispatch();
  }

  // A message for this validation from any Worker: true when it was a chunk's result.
  onMessage(msg) {
    if (this.stopped || msg.type !== 'chunk') return false;
    const job = this.jobs.get(msg.job);
    this.jobs.delete(msg.job);
    this.inFlight[job.worker]--;
    const r = msg.result;
    if (!r) {  // dropped before it started
      this.dispatch();
      return true;
    }
    this.heapPeak = Math.max(this.heapPeak, r.heap);
    this.wasmMs += r.wasm_ms;
    if (job.slot >= this.next) {
      if (!this.results.has(job.slot)) this.results.set(job.slot, []);
      this.results.get(job.slot).push(Object.assign(r, { worker: job.worker }));
      // Its cut lay inside a record, so the next chunk's first cut is wrong: redo it now.
      if (r.end > r.stop && job.slot + 1 < this.slots) this.redo(job.slot + 1, r.end);
    }
    this.pump();
    this.dispatch();
    return true;
  }

  // One emitted batch was handled (onBatch resolved).
  ack() {
    this.pendingBatches--;
    this.pump();
  }

  stop() {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.all) w.postMessage({ type: 'forget', id: this.id });
  }

  // Hands queued chunks to Workers with room, first come first served, among the chunks within
  // the window (those far ahead wait, so that results held here stay few).
  dispatch() {
    const window = this.next + this.workers.length * JOBS_PER_WORKER + 1;
    while (!this.stopped) {
      const q = this.queue.findIndex((id) => this.jobs.get(id).slot < window);
      if (q < 0) return;
      let w = 0;
      for (let i = 1; i < this.workers.length; i++) if (this.inFlight[i] < this.inFlight[w]) w = i;
      if (this.inFlight[w] >= JOBS_PER_WORKER) return;
      const [id] = this.queue.splice(q, 1);
      const job = this.jobs.get(id);
      job.worker = w;
      this.inFlight[w]++;
      const { start } = job;
      this.workers[w].postMessage({
        type: 'chunk', id: this.id, job: id, urgent: Boolean(job.urgent), file: this.file, headerEnd: this.plan.headerEnd,
        fields: this.fields, mapping: this.mapping, options: { ...this.options, dialect: this.plan.dialect },
        start: start ?? null, from: job.from ?? start, to: job.to ?? (Math.floor(start / this.chunkBytes) + 1) * this.chunkBytes,
      });
    }
  }

  // Sequences the chunks that are ready, in order, one request at a time.
  pump() {
    while (!this.stopped && !this.sequencing && this.pendingBatches < this.maxPendingBatches) {
      if (this.next >= this.slots) {
        // A redo's cut is past the end of its slot, so the last slot ends the file; this only
        // guards the end of the file against a cut that did not.
        if (this.expected < this.file.size) {
          this.slots++;
          this.redo(this.slots - 1, this.expected);
          continue;
        }
        this.sequence(null, true);
        return;
      }
      const here = this.results.get(this.next) || [];
      const r = here.find((x) => x.start === this.expected);
      if (r) {
        this.results.delete(this.next);
        this.sequence(r, false);
        return;
      }
      if (here.some((x) => x.stop <= this.expected)) {  // the chunks before ran over all of it
        this.results.delete(this.next);
        this.next++;
        continue;
      }
      // Its first cut lay inside a record of the chunk before: validate it from where that ended.
      if (here.length) this.redo(this.next, this.expected);
      return;
    }
  }

  sequence(r, finish) {
    this.sequencing = true;
    const offset = this.offset;
    const message = finish ? { type: 'sequence', vid: this.id, finish: true }
                           : { type: 'sequence', vid: this.id, chunk: { parts: r.parts }, offset };
    const transfer = finish ? [] : r.parts.flatMap((p) => [p.body.buffer, p.meta.buffer]);
    this.call(message, transfer).then((reply) => {
      for (const body of reply.chunk_bodies) {  // the lines' buffers, back to the Worker that lent them
        this.workers[r.worker].postMessage({ type: 'give-chunk', buffer: body.buffer }, [body.buffer]);
      }
      if (this.stopped) return;
      this.sequencing = false;
      this.heapPeak = Math.max(this.heapPeak, reply.heap);
      this.adjustments = reply.adjustments;
      let errors = reply.errors_json.flatMap((t) => JSON.parse(t));
      if (r) {
        const own = r.errors_json.flatMap((t) => JSON.parse(t));
        for (const e of own) e.row += offset;
        errors = mergeByRow(own, errors);
        this.add(r.counts, offset);
        this.expected = r.end;
        this.offset += r.records - 1;  // less the header record every chunk repeats
        this.chunks++;
        this.next++;
      }
      if (this.options.batches === false) {  // built for the duplicate policy only: buffers back
        for (const b of reply.batches) this.sequencer.postMessage({ type: 'give', buffer: b.body.buffer }, [b.body.buffer]);
        reply.batches = [];
      }
      this.batches += reply.batches.length;
      this.pendingBatches += reply.batches.length;
      const header = this.header;
      this.header = null;
      this.emit({ type: 'slice', id: this.id, header, errors, batches: reply.batches, counts: this.counts() });
      if (finish) {
        this.emit({
          type: 'done', id: this.id,
          summary: {
            counts: this.counts(), file_error: null, batches: this.batches,
            duplicate_tracking_full: reply.duplicate_tracking_full, heap_peak_bytes: this.heapPeak,
            elapsed_ms: performance.now() - this.started, wasm_ms: this.wasmMs + reply.wasm_ms,
            workers: this.workers.length, chunks: this.chunks, chunks_redone: this.redone,
          },
        });
        this.stop();
        return;
      }
      this.pump();
      this.dispatch();
    }, (e) => this.fail(e));
  }

  add(c, offset) {
    const t = this.totals;
    t.rows += c.rows;
    t.valid += c.valid;
    t.failed += c.failed;
    t.errors += c.errors;
    if (c.last_row) t.last_row = c.last_row + offset;
    for (const { field, code, count } of c.by_field_code) addTally(t.tallies, field, code, count);
  }

  // The counts so far, as one Worker's validation reports them (see intake.d.ts ValidationCounts).
  counts() {
    const t = this.totals;
    const a = this.adjustments || { failed: 0, errors: 0, duplicates: 0, skipped: 0, by_field_code: [] };
    const tallies = new Map(t.tallies);
    for (const { field, code, count } of a.by_field_code) addTally(tallies, field, code, count);
    return {
      rows: t.rows, valid: t.valid - a.failed, failed: t.failed + a.failed, skipped: a.skipped,
      duplicates: a.duplicates, errors: t.errors + a.errors, bytes: this.expected, last_row: t.last_row,
      by_field_code: [...tallies.values()].sort((x, y) => (x.field < y.field ? -1 : x.field > y.field ? 1 : x.code < y.code ? -1 : x.code > y.code ? 1 : 0)),
    };
  }
}

function addTally(tallies, field, code, count) {
  const key = `${field}\u0000${code}`;
  const t = tallies.get(key);
  tallies.set(key, { field, code, count: (t?.count ?? 0) + count });
}

// Two lists of error records, each in row order, as one list in row order.
function mergeByRow(a, b) {
  if (!b.length) return a;
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i].row <= b[j].row)) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}
