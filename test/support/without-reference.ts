/**
 * Loads a module as a machine without ../shared/reference sees it: `REFERENCE_DIR` points
 * nowhere and CI's "reference required" switch is off until `restore` (schema helpers load
 * their files lazily, at the first validation, so the environment must stay so until then).
 *
 * @param load  requires the module (called inside `jest.isolateModules`, so it loads afresh)
 */
export function loadWithoutReference<T>(load: () => T): { helpers: T; restore: () => void } {
  const saved = { dir: process.env.REFERENCE_DIR, required: process.env.EKS_WINDOWS_DESKTOPS_REQUIRE_REFERENCE };
  process.env.REFERENCE_DIR = '/nonexistent/reference';
  delete process.env.EKS_WINDOWS_DESKTOPS_REQUIRE_REFERENCE;
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = load();
  });
  return {
    helpers: loaded as T,
    restore: () => {
      if (saved.dir === undefined) delete process.env.REFERENCE_DIR; else process.env.REFERENCE_DIR = saved.dir;
      if (saved.required !== undefined) process.env.EKS_WINDOWS_DESKTOPS_REQUIRE_REFERENCE = saved.required;
    },
  };
}
