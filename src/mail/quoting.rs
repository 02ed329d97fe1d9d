//! Trimming the quoted history below a reply: lines quoted with ">" and everything from the
//! separators mail clients put above the quoted message (Gmail, Thunderbird, Apple Mail,
//! Outlook, in English and Spanish).

/// The reply without the history it quotes; the whole text when nothing would be left.
pub fn trim_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if starts_history(&lines, i) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(line);
    }
    let out = kept.join("\n").trim().to_string();
    if out.is_empty() {
        text.trim().to_string()
    } else {
        out
    }
}

fn starts_history(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    let next = lines.get(i + 1).map_or("", |l| l.trim());
    let lower = line.to_lowercase();
    // "On Mon, 3 Feb 2025 at 10:00, Ana <ana@x> wrote:", possibly wrapped over two lines.
    if (lower.starts_with("on ") || lower.starts_with("el "))
        && (ends_intro(&lower) || ends_intro(&next.to_lowercase()))
    {
        return true;
    }
    if lower.contains("original message") || lower.contains("mensaje original") {
        return line.starts_with('-');
    }
    if line.len() >= 16 && line.chars().all(|c| c == '_') {
        return true;
    }
    // Outlook: "From: …" followed by "Sent:"/"Date:"/"To:"/"Subject:" lines.
    if lower.starts_with("from:") || lower.starts_with("de:") {
        return lines[i + 1..].iter().take(4).any(|l| {
            let l = l.trim_start().to_lowercase();
            [
                "sent:", "date:", "to:", "subject:", "enviado:", "para:", "asunto:", "fecha:",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        });
    }
    false
}

fn ends_intro(lower: &str) -> bool {
    lower.ends_with("wrote:") || lower.ends_with("escribió:")
}

#[cfg(test)]
mod tests {
    use super::trim_quoted;

    #[test]
    fn trims_common_styles() {
        let gmail =
            "Thanks, it works.\n\nOn Mon, 3 Feb 2025 at 10:00, Desk <d@x.com> wrote:\n> old\n";
        assert_eq!(trim_quoted(gmail), "Thanks, it works.");
        let wrapped = "Yes\n\nOn Mon, 3 Feb 2025 at 10:00, Desk <d@x.com>\nwrote:\n> old";
        assert_eq!(trim_quoted(wrapped), "Yes");
        let es = "Gracias\n\nEl lun, 3 feb 2025 a las 10:00, Mesa (<d@x.com>) escribió:\n> viejo";
        assert_eq!(trim_quoted(es), "Gracias");
        let outlook =
            "Done.\r\n\r\n________________________________\r\nFrom: Desk\r\nSent: today\r\n";
        assert_eq!(trim_quoted(outlook), "Done.");
        let outlook2 = "Done.\n\nFrom: Desk <d@x.com>\nSent: Monday\nTo: me\nSubject: x\n\nold";
        assert_eq!(trim_quoted(outlook2), "Done.");
        let tb = "Hi\n\n-----Original Message-----\nold";
        assert_eq!(trim_quoted(tb), "Hi");
        assert_eq!(trim_quoted("> only quoted"), "> only quoted");
        assert_eq!(trim_quoted("a\n> b\nc"), "a\nc");
    }
}
