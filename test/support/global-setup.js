// Every CDK or cdk8s app without an outdir synthesizes into a fresh temporary directory (the
// kubectl layer alone is copied into each). Point the test run's temporary directory at one
// folder that global-teardown.js removes, so repeated runs do not fill the disk.
const fs = require('fs');
const os = require('os');
const path = require('path');

module.exports = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eks-windows-desktops-tests-'));
  process.env.EKS_WINDOWS_DESKTOPS_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
  // Nor does any test app copy assets (the kubectl layer is ~100 MB): with staging disabled,
  // assets keep their source path and hash, so templates are the same and nothing is copied.
  // Without this, the wrong-type tests (thousands of apps) filled 60 GB of disk.
  process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:disable-asset-staging': true });
};
