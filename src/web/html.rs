//! Page layout and HTML escaping.
//!
//! Pages are plain strings built with `format!`: every value that comes from a user or the store
//! goes through [`esc`] (text and attribute values alike, so one function is enough). The layout
//! carries a small inline stylesheet: readable type, visible focus, labels above fields, errors in
//! red beside their field; no JavaScript and no external resource, so the portal works in any
//! browser and under a strict Content-Security-Policy.

use std::fmt;

use crate::booking::Lang;

use super::i18n::t;

/// A string that escapes itself when formatted (for text and for quoted attribute values).
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        // Write runs of safe characters in one go; only the five special ones are replaced.
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// Escape `s` for HTML text or a quoted attribute value.
pub fn esc(s: &str) -> Escaped<'_> {
    Escaped(s)
}

/// The signed-in user, as the header shows them (with the log-out form's CSRF token).
#[derive(Debug, Clone, Copy)]
pub struct NavUser<'a> {
    /// Login name.
    pub name: &'a str,
    /// The session's CSRF token (log-out and instant-conference forms).
    pub csrf: &'a str,
}

/// A whole page: doctype, head with the stylesheet, header (site name, navigation when signed in,
/// language switch), `<main>` with `body`.
pub fn page(lang: Lang, title: &str, user: Option<NavUser<'_>>, body: &str) -> String {
    let s = t(lang);
    let mut nav = String::new();
    if let Some(u) = user {
        nav = format!(
            concat!(
                r#"<nav aria-label="{nav_label}"><a href="/conferences">{list}</a>"#,
                r#"<a href="/conferences/new">{new}</a>"#,
                r#"<form method="post" action="/conferences/instant" class="inline">"#,
                r#"<input type="hidden" name="csrf" value="{csrf}">"#,
                r#"<button type="submit" class="link">{instant}</button></form></nav>"#,
                r#"<div class="who"><span>{signed} <strong>{name}</strong></span>"#,
                r#"<form method="post" action="/logout" class="inline">"#,
                r#"<input type="hidden" name="csrf" value="{csrf}">"#,
                r#"<button type="submit" class="link">{logout}</button></form></div>"#,
            ),
            nav_label = esc(s.nav_conferences),
            list = esc(s.nav_conferences),
            new = esc(s.nav_new),
            instant = esc(s.nav_instant),
            csrf = esc(u.csrf),
            signed = esc(s.signed_in_as),
            name = esc(u.name),
            logout = esc(s.logout),
        );
    }
    // The switch links keep the current page (a relative `?lang=` URL) and set the cookie there.
    let other = match lang {
        Lang::Fr => Lang::En,
        Lang::En => Lang::Fr,
    };
    let switch = format!(
        r#"<a class="lang" href="?lang={code}" hreflang="{code}" lang="{code}">{name}</a>"#,
        code = other.code(),
        name = esc(t(other).language_name),
    );
    format!(
        concat!(
            "<!DOCTYPE html>\n",
            r#"<html lang="{lang}"><head><meta charset="utf-8">"#,
            r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
            r#"<meta name="referrer" content="no-referrer">"#,
            "<title>{title} · Pont</title><style>{css}</style></head>\n",
            r#"<body><header><div class="bar"><a class="brand" href="/">{site}</a>{nav}{switch}</div></header>"#,
            "\n<main>\n{body}\n</main></body></html>\n",
        ),
        lang = lang.code(),
        title = esc(title),
        css = STYLE,
        site = esc(s.site_name),
        nav = nav,
        switch = switch,
        body = body,
    )
}

/// A short page with a title and one paragraph (errors, refusals).
pub fn message_page(lang: Lang, title: &str, text: &str, user: Option<NavUser<'_>>) -> String {
    let s = t(lang);
    let back = if user.is_some() {
        format!(
            r#"<p><a href="/conferences">{}</a></p>"#,
            esc(s.back_to_list)
        )
    } else {
        String::new()
    };
    page(
        lang,
        title,
        user,
        &format!("<h1>{}</h1>\n<p>{}</p>{}", esc(title), esc(text), back),
    )
}

/// The stylesheet: system fonts, generous spacing, high contrast, a visible focus ring, and a
/// print style that leaves only the content (the connection sheet prints cleanly).
const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1d2330;background:#f4f6f9}
header{background:#17324d;color:#fff}
.bar{max-width:60rem;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
.brand{color:#fff;font-weight:700;text-decoration:none;margin-right:auto}
header nav{display:flex;flex-wrap:wrap;gap:.2rem 1rem;align-items:center}
header a,header .link{color:#fff}
.who{display:flex;gap:.6rem;align-items:center;font-size:.9rem}
.lang{font-size:.9rem}
main{max-width:60rem;margin:1.5rem auto;padding:0 1rem 3rem}
h1{font-size:1.6rem;margin:.2rem 0 1rem}
h2{font-size:1.2rem;margin:1.6rem 0 .6rem}
a{color:#0b5cad}
a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f0a400;outline-offset:1px}
.card{background:#fff;border:1px solid #d5dbe3;border-radius:6px;padding:1.2rem 1.4rem;margin:0 0 1.2rem}
form.inline{display:inline;margin:0}
button.link{background:none;border:0;padding:0;font:inherit;text-decoration:underline;cursor:pointer}
fieldset{border:1px solid #d5dbe3;border-radius:6px;background:#fff;margin:0 0 1.2rem;padding:.8rem 1.2rem 1rem}
legend{font-weight:700;padding:0 .3rem}
.field{margin:.7rem 0}
.field>label,.field>.label{display:block;font-weight:600;margin-bottom:.2rem}
.row{display:flex;flex-wrap:wrap;gap:0 1.2rem}
.hint{display:block;color:#56606e;font-size:.88rem;margin:.15rem 0 0}
input[type=text],input[type=password],input[type=number],input[type=date],input[type=time],select,textarea{font:inherit;padding:.4rem .5rem;border:1px solid #8a94a3;border-radius:4px;background:#fff;color:inherit;max-width:100%}
input[type=text],input[type=password],textarea{width:28rem}
textarea{min-height:5rem}
.choices label{display:inline-block;margin:.1rem 1rem .1rem 0;font-weight:400}
.invalid input,.invalid select,.invalid textarea{border-color:#b3261e;border-width:2px}
.error{color:#b3261e;font-weight:600;margin:.25rem 0 0}
.error::before{content:"⚠ "}
.alert{border-left:5px solid #b3261e;background:#fdecea;padding:.7rem 1rem;margin:0 0 1.2rem}
.warning{border-left:5px solid #c77700;background:#fff4e0;padding:.7rem 1rem;margin:0 0 1.2rem}
.notice{border-left:5px solid #2e7d32;background:#e9f5ea;padding:.7rem 1rem;margin:0 0 1.2rem}
.warning ul,.alert ul{margin:.4rem 0}
button,.button{font:inherit;font-weight:600;border-radius:4px;padding:.5rem 1.1rem;border:1px solid #0b5cad;background:#0b5cad;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
.button.secondary{background:#fff;color:#0b5cad}
button.danger{background:#b3261e;border-color:#b3261e}
.actions{display:flex;flex-wrap:wrap;gap:.8rem;align-items:center;margin:1rem 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;border-bottom:1px solid #e3e7ed}
thead th{font-size:.88rem;color:#56606e}
table.sheet th{width:15rem;font-weight:600;color:#37404d}
table.sheet td{font-size:1.05rem}
.sheet h2{font-size:1.05rem;color:#17324d;border-bottom:2px solid #17324d;padding-bottom:.2rem}
.mono{font-family:ui-monospace,"SF Mono",Menlo,Consolas,monospace}
.sheet .big{font-size:1.25rem;font-weight:700;letter-spacing:.04em}
.muted{color:#56606e}
.badge{display:inline-block;font-size:.8rem;font-weight:700;border-radius:3px;padding:0 .4rem;background:#e3e7ed}
.badge.cancelled{background:#fdecea;color:#b3261e}
pre{background:#fff;border:1px solid #d5dbe3;border-radius:6px;padding:1rem;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.92rem}
@media print{header,.actions,.noprint{display:none}body{background:#fff}.card{border:0;padding:0}}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(
            esc(r#"<a href="x">Tom & Jerry's</a>"#).to_string(),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(esc("plain éà").to_string(), "plain éà");
        assert_eq!(esc("").to_string(), "");
    }

    #[test]
    fn layout_has_language_charset_and_escaped_title() {
        let html = page(Lang::Fr, "<x>", None, "<p>body</p>");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(r#"<html lang="fr">"#));
        assert!(html.contains(r#"<meta charset="utf-8">"#));
        assert!(html.contains("<title>&lt;x&gt; · Pont</title>"));
        assert!(html.contains("<p>body</p>"));
        // The switch offers the other language.
        assert!(html.contains(r#"href="?lang=en""#));
        // No navigation when signed out.
        assert!(!html.contains("/logout"));
    }

    #[test]
    fn navigation_when_signed_in_carries_the_csrf_token() {
        let html = page(
            Lang::En,
            "t",
            Some(NavUser {
                name: "<alice>",
                csrf: "tok\"en",
            }),
            "",
        );
        assert!(html.contains("&lt;alice&gt;"));
        assert!(html.contains(r#"value="tok&quot;en""#));
        assert!(html.contains(r#"action="/logout""#));
        assert!(html.contains(r#"action="/conferences/instant""#));
    }
}
