import { createRegistry } from "@/lib/workflow/registry";
import { drip } from "./drip";
import { hello } from "./hello";
import { saga } from "./saga";

/** Every workflow the app serves: add one file in workflows/ and one line here. */
export const workflows = createRegistry([hello, drip, saga]);
