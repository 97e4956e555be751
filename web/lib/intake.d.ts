// Types of the Intake JS API (intake.js, errors.js, upload.js) and of the wasm module it runs in
// its Worker (IntakeModule, from wasm/bindings.cpp). Hand-written; keys that mirror the HTTP
// API (API.md) and the core stay snake_case, JS-only options are camelCase.

/** A campaign field, as GET /api/v1/campaigns/{id}/fields returns it. */
export interface Field {
  key: string;
  label: string;
  type: 'text' | 'email' | 'phone' | 'date' | 'datetime' | 'number' | 'boolean' | 'enum' | 'timezone';
  required?: boolean;
  import?: boolean;
  values?: string[];
  format?: string;
  identity?: 'name' | 'email' | 'phone' | 'external_id';
  /** text only: longest value accepted, in bytes of UTF-8 (default 1000). */
  max_length?: number;
}

/** The field list: an array, or the {fields} object the server returns. */
export type Fields = Field[] | { fields: Field[] };

/** CSV header (exact text) → field key; null ignores the column. Overrides header matching. */
export type Mapping = Record<string, string | null>;

/** Options of the core, named as in the HTTP API. */
export interface ValidatorOptions {
  /** ISO 3166-1 alpha-2 region for phone numbers written without +country. Default "US". */
  default_region?: string;
  /** What a row whose identity appeared earlier in the file does. Default "update". */
  duplicate_policy?: 'update' | 'skip' | 'reject';
  /** One character, or "comma" | "semicolon" | "tab" | "pipe". Default: sniffed from the head. */
  delimiter?: string;
  /** Identities remembered for duplicate checks (default and maximum 1,572,864: 24 MiB). */
  duplicate_capacity?: number;
  /** A batch closes at this many rows (default 10000) ... */
  batch_rows?: number;
  /** ... or before it would pass this many bytes (default 4 MiB). */
  batch_bytes?: number;
}

/** One problem with one cell (or a whole row when field is ""). Row 1 is the header. */
export interface RowError {
  row: number;
  field: string;
  value: string;
  code: string;
  message: string;
}

/** A problem with the file as a whole (header, encoding, mapping, options): no row is read. */
export interface FileError {
  code: string;
  message: string;
}

export interface Dialect {
  delimiter: string;
  delimiter_name: 'comma' | 'semicolon' | 'tab' | 'pipe' | string;
  encoding: 'utf-8' | 'windows-1252';
  bom: boolean;
  utf16: boolean;
}

export interface FieldRef {
  key: string;
  label: string;
}

/** The header row and how its columns map to the campaign's fields. */
export interface HeaderInfo {
  dialect: Dialect;
  headers: string[];
  columns: { index: number; header: string; field: string | null; explicit: boolean }[];
  /** The mapping in effect, suitable as a starting point for a mapping step. */
  mapping: Mapping;
  extra_columns: string[];
  not_imported: string[];
  /** Required fields no column feeds (the file cannot be imported until mapped). */
  missing_required: FieldRef[];
  missing_optional: FieldRef[];
  /** Field keys of the batch columns after "_row", in Data-tab order. */
  output_keys: string[];
  error: FileError | null;
}

export interface Counts {
  rows: number;
  valid: number;
  failed: number;
  skipped: number;
  duplicates: number;
  errors: number;
  bytes: number;
  last_row: number;
  by_field_code: { field: string; code: string; count: number }[];
}

/** Clean rows ready for PUT /api/v1/uploads/{id}/batches/{seq}?first_row=first_row. */
export interface Batch {
  seq: number;
  first_row: number;
  last_row: number;
  rows: number;
  /** text/csv; charset=utf-8: "_row,<keys>" then one line per row. Yours to keep or transfer. */
  body: Uint8Array;
}

export interface InspectResult {
  file: { name: string; size: number };
  /** The head was the whole file. */
  complete: boolean;
  dialect: Dialect | null;
  header: HeaderInfo | null;
  rows: {
    row: number;
    /** Raw cells in column order. */
    cells: string[];
    /** Normalized values by field key, or null when the row failed. */
    values: Record<string, string> | null;
    errors: RowError[];
  }[];
  counts: Counts;
  file_error: FileError | null;
}

export interface Progress {
  bytesRead: number;
  totalBytes: number;
  fraction: number;
  rows: number;
  validRows: number;
  failedRows: number;
  errors: number;
  batches: number;
  elapsedMs: number;
  /** Bytes per second since the start. */
  rate: number;
  /** Estimated time left, or null before the rate is known. */
  etaMs: number | null;
  done: boolean;
}

export interface ValidateOptions {
  fields: Fields;
  mapping?: Mapping | null;
  options?: ValidatorOptions;
  /** Called at least every 250 ms while running, and once at the end with done = true. */
  onProgress?: (progress: Progress) => void;
  /** Each batch in order. Reading pauses while returned promises are pending (backpressure).
   *  Without onBatch no batch is built. A throw or rejection stops validation with that error. */
  onBatch?: (batch: Batch) => void | Promise<void>;
  /** Every error record, in file order, in groups; may return a promise (backpressure too). */
  onErrors?: (errors: RowError[]) => void | Promise<void>;
  signal?: AbortSignal;
  /** Most bytes handed to the wasm validator in one call (default 4 MiB; the File is read
   *  through its stream in chunks of at most 1 MiB). */
  sliceBytes?: number;
  /** Error records kept in the summary (default 10000); onErrors sees all of them. */
  maxErrors?: number;
  /** Batches the Worker may have sent ahead of onBatch before it stops reading (default 2).
   *  The batches one chunk completes are sent together, so a few more may be in flight. */
  maxPendingBatches?: number;
  /** 'auto' (default): on 4 cores or more, a file of at least two chunks is validated in
   *  chunks by one helper Worker per core (at most 4), the first Worker putting their results
   *  back in order — same batches, errors and counts as one Worker; else in one Worker.
   *  true: in chunks whatever the size and cores (helpers started on first use; the first
   *  Worker alone on a single core); false: one Worker. */
  chunked?: 'auto' | boolean;
  /** Size of those chunks (default 4 MiB, at most 8 MiB); each is cut at the first line end past it. */
  chunkBytes?: number;
}

export interface ValidateSummary {
  header: HeaderInfo | null;
  counts: Counts;
  /** The first maxErrors error records. */
  errors: RowError[];
  errors_truncated: boolean;
  batches: number;
  file_error: null;
  /** More identities than duplicate_capacity: later duplicates were not detected here. */
  duplicate_tracking_full: boolean;
  heap_peak_bytes: number;
  elapsed_ms: number;
  /** Of elapsed_ms, the time spent inside the wasm validator (the rest is reading, messaging
   *  and waiting for onBatch); in chunks, summed over the Workers. */
  wasm_ms: number;
  /** Validated in chunks: the Workers that validated them, the chunks, and how many of those
   *  were validated again because a cut fell inside a quoted value. Absent otherwise. */
  workers?: number;
  chunks?: number;
  chunks_redone?: number;
}

export interface UploadOptions {
  /** Base URL of the Intake server, e.g. "https://intake.example.com". */
  server: string;
  /** An API token (POST /api/v1/tokens). */
  token: string;
  campaignId: string;
  mapping?: Mapping | null;
  options?: ValidatorOptions;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /** Batches PUT at once (default 3). */
  concurrency?: number;
  /** Retries of a request after a network error or 408/425/429/500/502/503/504 (default 6), with backoff. */
  retries?: number;
  /** On abort, cancel the upload on the server (default false: it stays resumable). */
  cancelOnAbort?: boolean;
  /** Where upload ids are kept per file fingerprint for resuming (default localStorage). */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  /** The campaign's fields, if already fetched (default: GET .../fields). */
  fields?: Fields;
  fetch?: typeof fetch;
  /** As for validate (batches are the same either way, so an upload resumes in either mode). */
  chunked?: 'auto' | boolean;
  chunkBytes?: number;
}

export interface UploadProgress extends Progress {
  phase: 'preparing' | 'uploading' | 'completing' | 'done';
  uploadId: string | null;
  /** An interrupted upload of the same file was found and continued. */
  resumed: boolean;
  batchesSent: number;
  /** Batches the server had already acknowledged (not sent again). */
  batchesSkipped: number;
  rowsSent: number;
  errorsSent: number;
}

/** An upload as the server returns it (API.md). */
export interface Upload {
  id: string;
  campaign_id: string;
  filename: string;
  status: 'Processing' | 'Completed' | 'Failed';
  status_message: string;
  /** 0 until `complete` declares it. */
  total_rows: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  error_count: number;
  [key: string]: unknown;
}

export declare class Intake {
  /** Loads the module once per wasmUrl in a Worker. wasmUrl: intake_module.wasm (its .js beside it). */
  static load(options?: { wasmUrl?: string | URL; workerUrl?: string | URL }): Promise<Intake>;
  inspect(file: Blob, options?: { fields?: Fields; mapping?: Mapping | null; options?: ValidatorOptions; headBytes?: number; previewRows?: number }): Promise<InspectResult>;
  validate(file: Blob, options: ValidateOptions): Promise<ValidateSummary>;
  upload(file: File | Blob, options: UploadOptions): Promise<{ upload: Upload; summary: ValidateSummary }>;
  /** What upload() uses to recognize the same file again. */
  fingerprint(file: Blob): Promise<string>;
  /** Stops the Worker. */
  close(): void;
}
export default Intake;

/** A resume record upload() keeps per file (localStorage key
 *  "intake:upload:<server>:<campaignId>:<fingerprint>", a stable format). */
export interface ResumableUpload {
  fingerprint: string;
  upload_id: string;
  errors_sent: number;
}
type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;
/** Interrupted uploads of a campaign that upload() would resume for the same file. */
export declare function listResumableUploads(options: { server: string; campaignId: string; storage?: StorageLike | null }): ResumableUpload[];
/** Forgets one file's resume record (say, after its upload was canceled on the server). */
export declare function forgetResumableUpload(options: { server: string; campaignId: string; fingerprint: string; storage?: StorageLike | null }): void;

export declare class IntakeError extends Error {
  /** Stable snake_case code: match on it, show `message`. */
  code: string;
  details?: unknown;
}
/** code "aborted". */
export declare class IntakeAbortError extends IntakeError {}
/** The header, encoding, mapping or options make the file unusable (code from the core). */
export declare class IntakeFileError extends IntakeError {
  summary?: Partial<ValidateSummary>;
}
/** A refusal from the server (status, code from its error body), or status 0 "network_error". */
export declare class IntakeHttpError extends IntakeError {
  status: number;
}
/** 409 upload_in_progress: "Please wait for the current upload to finish." */
export declare class UploadInProgressError extends IntakeHttpError {}

/** The wasm module itself (createIntakeModule() in wasm/intake_module.js), for tests and tools. */
export interface IntakeModule {
  /** options.batches: false builds no batch bodies; options.errors_as_json: true puts the
   *  error records in SliceResult.errors_json (JSON text) instead of errors;
   *  options.batch_body_buffer(n) lends the Uint8Array (length n) each batch body is copied into
   *  (else each body is a new array). */
  Validator: new (fieldsJson: string, mappingJson: string, options: ValidatorOptions & {
    batches?: boolean; errors_as_json?: boolean; batch_body_buffer?: (n: number) => Uint8Array;
    /** The file's dialect (sniffDialect of its first 64 KiB): no sniffing of its own. */
    dialect?: Dialect;
    /** Validate one chunk of a file (the header record, then records from its middle): clean
     *  rows are kept as lines for a Sequencer (takeChunk) instead of batches; no duplicate check. */
    chunk?: boolean;
    /** Chunk mode: lends the Uint8Array (length n) each part of lines is copied into. */
    lines_buffer?: (n: number) => Uint8Array;
  }) => ModuleValidator;
  /** Puts chunks back in file order (see shared/batch/chunked_batches.h): `headerRecord` is the
   *  file's bytes through the header record's line end; options need `dialect`. */
  Sequencer: new (fieldsJson: string, mappingJson: string, options: ValidatorOptions & {
    dialect: Dialect; batch_body_buffer?: (n: number) => Uint8Array;
  }, headerRecord: Uint8Array) => ModuleSequencer;
  inspect(head: Uint8Array | ArrayBuffer, fieldsJson: string, mappingJson: string, options: ValidatorOptions, previewRows: number, complete: boolean): Omit<InspectResult, 'file'>;
  sniffDialect(head: Uint8Array | ArrayBuffer): Dialect;
  checkFields(fieldsJson: string): { fields: Field[]; problems: { index: number; path: string; message: string }[] };
  hashBytes(bytes: Uint8Array | ArrayBuffer): string;
  heapBytes(): number;
}

export interface SliceResult {
  header: HeaderInfo | null;
  batches: Batch[];
  errors: RowError[];
  /** With errors_as_json: the same records as JSON array texts, in order (else empty). */
  errors_json: string[];
  counts: Counts;
  file_error: FileError | null;
  done: boolean;
}

/** An Embind object: call delete() when done (in a finally). */
export interface ModuleValidator {
  push(bytes: Uint8Array | ArrayBuffer): SliceResult;
  finish(): SliceResult;
  counts(): Counts;
  fileError(): FileError | null;
  duplicateTrackingFull(): boolean;
  /** The bytes pushed so far end exactly at a record's end. */
  betweenRecords(): boolean;
  /** Records read, the header and blank lines included. */
  recordsRead(): number;
  /** Chunk mode: the clean rows so far as lines, in parts of about 2 MiB (they leave the heap
   *  as they are written), moved out. */
  takeChunk(): ChunkLines;
  delete(): void;
}

export interface ChunkLines {
  /** Each: a batch header line then lines (body), 5 words of meta per line. */
  parts: { body: Uint8Array; meta: Uint32Array }[];
  records: number;
  between_records: boolean;
}

/** An Embind object: call delete() when done (in a finally). */
export interface ModuleSequencer {
  /** The next part of lines in file order; row r of its chunk is row r + rowOffset of the file.
   *  Under the reject policy, errors_json holds the rows refused as duplicates. */
  add(part: ChunkLines['parts'][number], rowOffset: number): { batches: Batch[]; errors_json: string[] };
  finish(): { batches: Batch[]; errors_json: string[] };
  /** duplicates, skipped; failed, errors and by_field_code of the rows refused under reject. */
  adjustments(): Counts;
  fileError(): FileError | null;
  duplicateTrackingFull(): boolean;
  delete(): void;
}
