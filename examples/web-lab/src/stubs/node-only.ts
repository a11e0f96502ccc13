/**
 * Stand-in for the Node-only modules that @dbvae/core-data and @dbvae/models import for
 * features the page never uses (HDF5 and image files, worker threads, file paths). Vite
 * cannot bundle `fs` or `sharp` for a browser; every function here fails loudly if called.
 */
const unavailable = (): never => {
  throw new Error('This feature needs Node.js; it is not available in the browser build.');
};
export default unavailable;
export {
  unavailable as createRequire,
  unavailable as existsSync,
  unavailable as statSync,
  unavailable as openSync,
  unavailable as readSync,
  unavailable as closeSync,
  unavailable as pathToFileURL,
  unavailable as fileURLToPath,
  unavailable as resolve,
  unavailable as join,
  unavailable as relative,
  unavailable as extname,
  unavailable as stat,
  unavailable as readdir,
  unavailable as mkdir,
  unavailable as writeFile,
};
