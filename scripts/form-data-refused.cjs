// Stands in for the `form-data` package in the bundle (scripts/bundle.mjs says why).
module.exports = class FormDataRefused {
  constructor() {
    throw new Error('multipart form bodies are not supported by the collector');
  }
};
