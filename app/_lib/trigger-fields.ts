/** The trigger form's own tags field, named so no input schema field can collide with it. */
export const TAGS_FIELD = "__overtime_tags";
