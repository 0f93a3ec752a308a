// What the dashboard's editor (src/selfauth/web/admin/assets/editor.js) needs of CodeMirror 6,
// exposed as the global `SelfauthCodeMirror` by the IIFE bundle build.mjs makes.
export { basicSetup, EditorView } from "codemirror";
export { EditorState } from "@codemirror/state";
export { javascript } from "@codemirror/lang-javascript";
export { json, jsonParseLinter } from "@codemirror/lang-json";
export { linter, lintGutter } from "@codemirror/lint";
