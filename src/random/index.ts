export { mixKey, Rng } from "./rng.js";
