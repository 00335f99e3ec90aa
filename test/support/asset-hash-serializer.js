// Snapshot serializer: replaces asset hashes (64 hex characters) so that snapshots change only
// when the synthesized output does, not when a bundled asset is rebuilt.
const HASH = /[0-9a-f]{64}/g;
module.exports = {
  test: (value) => typeof value === 'string' && HASH.test(value) && (HASH.lastIndex = 0, true),
  serialize: (value, config, indentation, depth, refs, printer) => printer(value.replace(HASH, '[ASSET-HASH]'), config, indentation, depth, refs),
};
