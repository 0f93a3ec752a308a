// The dashboard's code editor: every <textarea data-code-editor="javascript|json"> becomes a
// CodeMirror 6 editor (assets/vendor/codemirror.js, built by scripts/build-dashboard-editor).
// The textarea stays in the form, hidden, and always holds the editor's text, so the form posts
// exactly as it does without JavaScript (when the plain textarea is the editor).
//
// The page's CSP is `style-src 'self'`: CodeMirror puts its styles in a <style> element when it
// is mounted in the document, and the browser refuses that. Mounted in a shadow root it gives
// them to the root's adoptedStyleSheets (a constructed stylesheet), which the policy allows, so
// each editor lives in a shadow root of its own and needs no nonce.
//
// Pages include only this file; it loads the bundle itself when the page has an editor.
"use strict";
(() => {
  const BUNDLE = "/admin/assets/vendor/codemirror.js";
  let loading = null;

  function bundle() {
    if (window.SelfauthCodeMirror) return Promise.resolve(window.SelfauthCodeMirror);
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = BUNDLE;
        script.onload = () => resolve(window.SelfauthCodeMirror);
        script.onerror = () => reject(new Error("the code editor could not be loaded"));
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  // The 0-based offset of a 1-based line and column, kept inside the text.
  function offsetOf(doc, line, column) {
    const at = doc.line(Math.min(Math.max(line, 1), doc.lines));
    return Math.min(at.from + Math.max(column - 1, 0), at.to);
  }

  function labelOf(textarea) {
    const label = textarea.id && document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`);
    if (!label) return null;
    if (!label.id) label.id = `${textarea.id}-label`;
    return label;
  }

  function enhance(cm, textarea) {
    const language = textarea.dataset.codeEditor;
    const rows = Number(textarea.getAttribute("rows")) || 10;
    const label = labelOf(textarea);
    const contentAttributes = { "aria-multiline": "true" };
    if (label) contentAttributes["aria-labelledby"] = label.id;
    for (const name of ["aria-describedby", "aria-invalid"]) {
      const value = textarea.getAttribute(name);
      if (value) contentAttributes[name] = value;
    }
    const extensions = [
      cm.basicSetup,
      cm.EditorView.contentAttributes.of(contentAttributes),
      cm.EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        textarea.value = update.state.doc.toString();
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }),
      cm.EditorView.theme({
        "&": {
          border: "1px solid #b8bfcc",
          borderRadius: "6px",
          backgroundColor: "#ffffff",
          fontSize: "0.9rem",
        },
        "&.cm-focused": { outline: "3px solid #7c8cf0", outlineOffset: "2px" },
        ".cm-scroller": {
          fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
          minHeight: `${rows * 1.4}em`,
          maxHeight: "36em",
          overflow: "auto",
        },
        ".cm-gutters": { backgroundColor: "#f4f6f9", borderRight: "1px solid #d9dde5" },
      }),
    ];
    if (textarea.getAttribute("aria-invalid") === "true") {
      extensions.push(cm.EditorView.theme({ "&": { borderColor: "#b42318" } }));
    }
    if (language === "json") {
      extensions.push(cm.json(), cm.linter(cm.jsonParseLinter()), cm.lintGutter());
    } else {
      extensions.push(cm.javascript());
    }
    const line = Number(textarea.dataset.errorLine);
    const column = Number(textarea.dataset.errorColumn);
    const message = textarea.getAttribute("aria-describedby");
    if (line > 0) {
      // The server's compile error, marked where it points until the text changes.
      const original = textarea.value;
      const error = message && document.getElementById(message);
      extensions.push(
        cm.linter(
          (view) => {
            const text = view.state.doc.toString();
            if (text !== original) return [];
            const from = offsetOf(view.state.doc, line, column || 1);
            const to = Math.min(from + 1, view.state.doc.length);
            return [{ from, to, severity: "error", message: error ? error.textContent : "error" }];
          },
          { delay: 0 },
        ),
        cm.lintGutter(),
      );
    }

    const host = document.createElement("div");
    host.className = "code-editor";
    host.dataset.codeEditorFor = textarea.id || textarea.name;
    textarea.after(host);
    const root = host.attachShadow({ mode: "open" });
    const view = new cm.EditorView({ doc: textarea.value, extensions, parent: root, root });
    textarea.hidden = true;
    if (label) label.addEventListener("click", () => view.focus());
    if (line > 0) {
      const at = offsetOf(view.state.doc, line, column || 1);
      view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
    }
    // A script that sets the textarea's value (a form's reset, a sample) updates the editor.
    textarea.addEventListener("code-editor:set", () => {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: textarea.value } });
    });
    host.dataset.ready = "true";
  }

  function start() {
    const areas = document.querySelectorAll("textarea[data-code-editor]");
    if (!areas.length) return;
    bundle().then(
      (cm) => areas.forEach((textarea) => enhance(cm, textarea)),
      (error) => console.warn(`${error.message}: the plain text fields stay`),
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
