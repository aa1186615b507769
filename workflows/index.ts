import { createRegistry } from "@/lib/workflow/registry";
import { hello } from "./hello";

/** Every workflow the app serves: add one file in workflows/ and one line here. */
export const workflows = createRegistry([hello]);
