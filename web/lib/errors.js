// The errors the Intake JS API throws: every one an Error subclass with a stable snake_case
// `code` to match on and a message a person can act on.

export class IntakeError extends Error {
  constructor(code, message, details = undefined) {
    super(message);
    this.name = 'IntakeError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

// The operation was stopped through its AbortSignal.
export class IntakeAbortError extends IntakeError {
  constructor(message = 'stopped before the end, as asked') {
    super('aborted', message);
    this.name = 'IntakeAbortError';
  }
}

// The file cannot be validated as mapped: its header, encoding or the mapping is wrong. `code`
// is the core's (missing_required_columns, duplicate_header, empty_file, invalid_encoding,
// invalid_mapping, invalid_fields, invalid_options). `summary` holds what was read.
export class IntakeFileError extends IntakeError {
  constructor(code, message, summary = undefined) {
    super(code, message);
    this.name = 'IntakeFileError';
    if (summary !== undefined) this.summary = summary;
  }
}

// The server refused a request (or could not be reached: status 0, code network_error).
export class IntakeHttpError extends IntakeError {
  constructor(status, code, message) {
    super(code, message);
    this.name = 'IntakeHttpError';
    this.status = status;
  }
}

// 409 upload_in_progress: the campaign has another upload still Processing.
export class UploadInProgressError extends IntakeHttpError {
  constructor(message = 'Please wait for the current upload to finish.') {
    super(409, 'upload_in_progress', message);
    this.name = 'UploadInProgressError';
  }
}
