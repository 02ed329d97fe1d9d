//! The knowledge base: articles in English and Spanish, written in Markdown by staff, published
//! to employees at `/kb`, searchable, with "was this helpful?" votes; plus the suggestions shown
//! while an employee writes a ticket (`/suggest`). Articles may carry images and files
//! (`/kb/files/<id>`, `article_files`), start from a ticket's message, and be linked from staff replies.

mod article_files;
pub mod categories;
mod category_pages;
mod editor;
mod public;
mod staff;
pub mod staff_list;
pub mod store;
mod suggest;

pub use staff::{ArticleLink, article_links, article_url, popular_articles};

use pulldown_cmark::{Event, Options, Parser, TagEnd};
use rocket::Route;

use crate::i18n::Lang;

/// Who may see an article in each state: employees only published ones; staff also internal
/// articles, and drafts when they open them directly (a preview).
pub const PUBLIC_STATES: &[&str] = &["published"];
pub const STAFF_STATES: &[&str] = &["published", "internal"];
pub const ALL_STATES: &[&str] = &["draft", "published", "internal"];

pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 100_000;
pub const MAX_SLUG: usize = 80;

/// The states a viewer may list and search.
pub fn visible_states(is_staff: bool) -> &'static [&'static str] {
    if is_staff {
        STAFF_STATES
    } else {
        PUBLIC_STATES
    }
}

/// Markdown to HTML that is safe to embed: pulldown-cmark renders it, ammonia then removes
/// scripts, event handlers, `javascript:` links and every other element or attribute not on its
/// allow list.
pub fn render_markdown(markdown: &str) -> String {
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, markdown_options()));
    ammonia::clean(&html)
}

/// The Markdown the articles are written in (the same for their pages and their snippets).
fn markdown_options() -> Options {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    options
}

/// The text a reader sees of some Markdown (an article's body, for its search snippets):
/// parsed as the article page parses it, keeping only text and code, so `**VPN**` reads `VPN`,
/// a link its words and an image its description. Raw HTML is dropped (the page drops scripts
/// and most tags too); blocks and line breaks become single spaces. Characters that are not
/// Markdown syntax, such as the search marks around matched words, pass through unchanged.
pub fn markdown_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut space = false;
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Text(text) | Event::Code(text) => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push_str(&text);
            }
            Event::SoftBreak
            | Event::HardBreak
            | Event::Rule
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_),
            ) => space = true,
            _ => {}
        }
    }
    // Whitespace inside text (code blocks keep their newlines) as single spaces.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A URL slug from a title: lowercase ASCII letters and digits joined by dashes, accents folded.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in crate::search::fold(title).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut slug: String = out.trim_end_matches('-').chars().take(MAX_SLUG).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// The other language: the fallback when an article has no translation in the reader's.
pub fn other_lang(lang: Lang) -> Lang {
    match lang {
        Lang::En => Lang::Es,
        Lang::Es => Lang::En,
    }
}

/// The public knowledge base, mounted at `/kb`.
pub fn routes() -> Vec<Route> {
    public::routes()
}

/// The staff's article pages, mounted at `/staff`.
pub fn staff_routes() -> Vec<Route> {
    staff::routes()
}

/// The suggestions the ticket form asks for while an employee types, mounted at `/`.
pub fn suggest_routes() -> Vec<Route> {
    suggest::routes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_sanitised() {
        let html = render_markdown(
            "# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> **b**",
        );
        assert!(html.contains("<h1>Hi</h1>") && html.contains("<strong>b</strong>"));
        assert!(
            !html.contains("<script") && !html.contains("javascript:") && !html.contains("onerror")
        );
    }

    #[test]
    fn article_images_and_file_links_survive_sanitising() {
        let html = render_markdown(
            "![Printer tray](/kb/files/3) [manual.pdf](/kb/files/4) ![x](javascript:alert(1))",
        );
        assert!(
            html.contains("<img src=\"/kb/files/3\" alt=\"Printer tray\""),
            "{html}"
        );
        assert!(html.contains("<a href=\"/kb/files/4\""), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn markdown_as_text_keeps_what_a_reader_sees() {
        assert_eq!(
            markdown_text("Connect the **VPN** first, then [open the portal](https://x.example)."),
            "Connect the VPN first, then open the portal."
        );
        assert_eq!(
            markdown_text(
                "# Printer\n\n- Turn it *off*\n- `lpstat -p`\n\n![the tray](/kb/files/3)"
            ),
            "Printer Turn it off lpstat -p the tray"
        );
        assert_eq!(markdown_text("a <b>bold</b> move"), "a bold move");
        // A snippet's marks around a matched word survive, also inside emphasis.
        assert_eq!(
            markdown_text("…use the **\u{1}VPN\u{2}** client…"),
            "…use the \u{1}VPN\u{2} client…"
        );
        // A snippet cut in the middle of some syntax keeps the rest as text.
        assert_eq!(markdown_text("PN** client"), "PN** client");
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("  Configurar la impresión (Wi-Fi)! "),
            "configurar-la-impresion-wi-fi"
        );
        assert!(valid_slug("reset-password-2") && !valid_slug("Bad slug") && !valid_slug("-x"));
    }
}
