//! A tiny document tree: what lesson prose and math compile to, and what the page turns
//! into DOM nodes with `createElement`/`createElementNS` and `textContent` (never by
//! parsing HTML).
//!
//! JSON form: a text node is a JSON string; an element is `{"t": tag, "a": {attr: value},
//! "c": [children]}` with `a` and `c` left out when empty. The page accepts only the
//! tags in [`HTML_TAGS`] and [`MATHML_TAGS`] and the attributes in [`ATTRIBUTES`].

use serde::Serialize;
use std::collections::BTreeMap;

/// HTML tags prose may produce.
pub const HTML_TAGS: &[&str] = &[
    "p",
    "h2",
    "h3",
    "ul",
    "ol",
    "li",
    "em",
    "strong",
    "code",
    "pre",
    "a",
    "blockquote",
    "aside",
    "span",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "div",
];

/// MathML Core tags math may produce.
pub const MATHML_TAGS: &[&str] = &[
    "math",
    "mrow",
    "mi",
    "mn",
    "mo",
    "mtext",
    "mspace",
    "mfrac",
    "msqrt",
    "mroot",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "semantics",
    "annotation",
];

/// Attributes any node may carry (values are plain text; `href` is checked by the page too).
pub const ATTRIBUTES: &[&str] = &[
    "class",
    "href",
    "title",
    "display",
    "mathvariant",
    "stretchy",
    "fence",
    "separator",
    "lspace",
    "rspace",
    "accent",
    "accentunder",
    "movablelimits",
    "linethickness",
    "columnalign",
    "width",
    "encoding",
    "form",
    "largeop",
    "scriptlevel",
    "displaystyle",
    "role",
    "aria-label",
];

/// A node of the document tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Node {
    Text(String),
    Element {
        t: &'static str,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        a: BTreeMap<&'static str, String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        c: Vec<Node>,
    },
}

impl Node {
    /// An element with children and no attributes.
    pub fn el(tag: &'static str, children: Vec<Node>) -> Node {
        Node::Element { t: tag, a: BTreeMap::new(), c: children }
    }

    /// A text node.
    pub fn text(s: impl Into<String>) -> Node {
        Node::Text(s.into())
    }

    /// An element holding a single text node.
    pub fn leaf(tag: &'static str, text: impl Into<String>) -> Node {
        Node::el(tag, vec![Node::text(text)])
    }

    /// Adds an attribute (builder style).
    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Node {
        if let Node::Element { a, .. } = &mut self {
            a.insert(name, value.into());
        }
        self
    }

    /// The tag, for elements.
    pub fn tag(&self) -> Option<&'static str> {
        match self {
            Node::Element { t, .. } => Some(t),
            Node::Text(_) => None,
        }
    }

    /// The concatenated text of the node and its descendants.
    pub fn text_content(&self) -> String {
        match self {
            Node::Text(s) => s.clone(),
            Node::Element { c, .. } => c.iter().map(Node::text_content).collect(),
        }
    }

    /// Whether every tag and attribute in the tree is on the allow-lists.
    pub fn is_allowed(&self) -> bool {
        match self {
            Node::Text(_) => true,
            Node::Element { t, a, c } => {
                (HTML_TAGS.contains(t) || MATHML_TAGS.contains(t))
                    && a.keys().all(|k| ATTRIBUTES.contains(k))
                    && c.iter().all(Node::is_allowed)
            }
        }
    }
}
