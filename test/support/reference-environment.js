// Test environment: a test whose first failure is a ReferenceMissingError (a check that needs an
// upstream file from ../shared/reference that this machine does not have) is reported as
// skipped, not failed and never passed; the reasons are printed once per test file.
//
// Jest counts a test as skipped only through its status, so this sets it once the test is done
// (jest-circus runs environment handlers after its own, see jestAdapterInit).
const { TestEnvironment } = require('jest-environment-node');

const REFERENCE_MISSING = 'ReferenceMissingError';

function firstError(test) {
  const first = test.errors[0];
  return Array.isArray(first) ? first[0] : first;
}

class ReferenceEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
    this.skipped = new Map();
  }

  async handleTestEvent(event) {
    if (event.name !== 'test_done') return;
    const error = firstError(event.test);
    if (!error || error.name !== REFERENCE_MISSING) return;
    event.test.errors = [];
    event.test.status = 'skip';
    this.skipped.set(error.message, (this.skipped.get(error.message) ?? 0) + 1);
  }

  async teardown() {
    for (const [reason, count] of this.skipped) {
      process.stderr.write(`${this.testPath}: ${count} test(s) ${reason}\n`);
    }
    await super.teardown();
  }
}

module.exports = ReferenceEnvironment;
