import { createRegistry } from "overtime";
import { approval } from "./approval";
import { digest } from "./digest";
import { drip } from "./drip";
import { goal } from "./goal";
import { hello } from "./hello";
import { jeeves } from "./jeeves";
import { research } from "./research";
import { saga } from "./saga";

/** Every workflow the app serves: add one file in workflows/ and one line here. */
export const workflows = createRegistry([hello, drip, saga, jeeves, research, approval, digest, goal]);
