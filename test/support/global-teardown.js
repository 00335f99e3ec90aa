// Removes the temporary directory global-setup.js created for the test run.
const fs = require('fs');

module.exports = async () => {
  const dir = process.env.EKS_WINDOWS_DESKTOPS_TEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
