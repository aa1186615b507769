import { createRouteHandlers } from "overtime/next";
import { overtime } from "../../../overtime";

export const { GET, POST, PUT, PATCH, DELETE } = createRouteHandlers(overtime);
export const dynamic = "force-dynamic";
export const maxDuration = 300;
