/**
 * Reading a config file: `.yaml`/`.yml` as YAML, anything else as JSON, with one-line errors that
 * name the file. Validation is the caller's (each config has its own schema).
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { InputError } from "../errors.js";

/** The parsed contents of a JSON or YAML config file (an empty file gives `{}`). */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(
      `cannot read the config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      path,
    );
  }
  const yaml = [".yaml", ".yml"].includes(extname(path).toLowerCase());
  try {
    return (yaml ? parseYaml(text) : JSON.parse(text)) ?? {};
  } catch (err) {
    throw new InputError(
      `not valid ${yaml ? "YAML" : "JSON"}: ${(err as Error).message.split("\n")[0]}`,
      path,
    );
  }
}
