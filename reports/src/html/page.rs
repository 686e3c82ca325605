//! Assembles `report.html`: one self-contained file with inline CSS and
//! JavaScript and no network access. The plots are either files next to the
//! page, referenced by relative name (how a stored run is laid out), or
//! embedded as `data:` URIs (a single file to mail around).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::escape::{base64, html, json_in_script, url_segment};
use super::{explain, story, summary, timeline_data};
use crate::input::{OpView, ReportInput};
use crate::plot::Plots;
use crate::style::Colours;

const CSS: &str = include_str!("assets/report.css");
const ERRORS_JS: &str = include_str!("assets/errors.js");
const TIMELINE_JS: &str = include_str!("assets/timeline.js");

/// How the page refers to its plots.
#[derive(Debug, Clone, Copy)]
pub enum Images<'a> {
    /// `<img src="latency-raw.png">`: the PNGs sit next to the page.
    Linked,
    /// `<img src="data:image/png;base64,...">`: the page stands alone.
    Embedded(&'a Plots),
}

/// What the page shows beyond the [`ReportInput`].
#[derive(Debug, Clone, Default)]
pub struct PageExtras {
    /// Subtracted from every time in the input before rendering (0: none);
    /// stated on the page.
    pub time_base_ns: u64,
}

/// Renders the whole page.
pub fn render_page(
    input: &ReportInput,
    colours: &Colours,
    images: Images<'_>,
    extras: &PageExtras,
) -> String {
    let ops: BTreeMap<u64, &OpView> = input.operations.iter().map(|o| (o.id, o)).collect();
    let title = if input.results.title.is_empty() {
        "faultline run"
    } else {
        input.results.title.as_str()
    };
    let mut out = String::with_capacity(64 * 1024 + input.operations.len() * 120);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{v}: {t}</title><script>{ERRORS_JS}</script><style>{CSS}</style></head><body>",
        v = input.results.verdict.as_str(),
        t = html(title)
    );
    out.push_str(&summary::header(input));
    out.push_str("<main>");
    if extras.time_base_ns > 0 {
        let _ = write!(
            out,
            "<p class=\"muted\">Times are relative to {} ns, the history's first \
             timestamp rounded down to a second.</p>",
            extras.time_base_ns
        );
    }
    out.push_str(&explain::callout(input, &ops, colours));
    out.push_str(&story::section(input));
    timeline(&mut out, input);
    let shown = explain::FAILURES_SHOWN_MAX;
    for failure in input.results.linearizability_failures.iter().take(shown) {
        out.push_str(&explain::detail(
            failure,
            &ops,
            &story::key_window(failure, &ops),
        ));
    }
    let _ = write!(
        out,
        "<section class=\"card\" id=\"checkers\"><h2>Checkers</h2>{}</section>",
        summary::checkers(input)
    );
    out.push_str(&explain::fault_table(input, colours));
    plots(&mut out, images);
    let _ = write!(
        out,
        "<section class=\"card\" id=\"stats\"><h2>Stats</h2>{}</section>",
        summary::stats(input)
    );
    if !input.results.situations.is_empty() {
        let _ = write!(
            out,
            "<section class=\"card\" id=\"situations\"><h2>Situations reached</h2>{}</section>",
            summary::situations(input)
        );
    }
    let _ = write!(
        out,
        "<section class=\"card\" id=\"config\"><h2>Configuration</h2>{}</section>",
        summary::config(input)
    );
    if !input.node_logs.is_empty() {
        let links: Vec<String> = input
            .node_logs
            .iter()
            .map(|path| {
                let href: Vec<String> = path.split('/').map(url_segment).collect();
                let name = path.rsplit('/').next().unwrap_or(path);
                format!("<a href=\"{}\">{}</a>", html(&href.join("/")), html(name))
            })
            .collect();
        let _ = write!(
            out,
            "<section class=\"card\" id=\"logs\"><h2>Node logs</h2><p>{}</p></section>",
            links.join(" · ")
        );
    }
    out.push_str("<footer>Rendered by faultline-reports. The page works offline: no scripts, fonts or styles are fetched.</footer></main>");
    let data = timeline_data::timeline_json(input, colours).to_string();
    let _ = writeln!(
        out,
        "<div id=\"tl-tip\"></div><script type=\"application/json\" id=\"fl-data\">{}</script><script>{TIMELINE_JS}</script></body></html>",
        json_in_script(&data)
    );
    out
}

fn timeline(out: &mut String, input: &ReportInput) {
    let _ = write!(
        out,
        "<section class=\"card\" id=\"timeline\" data-ops=\"{n}\"><h2>Timeline ({n} operations)</h2>\
         <div class=\"toolbar\"><button id=\"tl-fail\" class=\"primary\">show failing op</button>\
         <button id=\"tl-fit\">fit all</button><button id=\"tl-in\">zoom in</button><button id=\"tl-out\">zoom out</button>\
         <label>key <select id=\"tl-key\"></select></label>\
         <span class=\"hint\">drag or ←/→ to pan · Ctrl+wheel, double-click or +/− to zoom (Shift+double-click, 0 to fit) · wheel scrolls processes · hover for details</span></div>\
         <div class=\"legend\" id=\"tl-legend\"></div>\
         <canvas id=\"tl-overview\" title=\"the whole run: click to move the view\"></canvas><div id=\"tl-scroll\"><canvas id=\"tl-canvas\"></canvas><div id=\"tl-spacer\"></div></div>\
         <noscript><p>The timeline needs JavaScript.</p></noscript></section>",
        n = input.operations.len()
    );
}

fn plots(out: &mut String, images: Images<'_>) {
    out.push_str("<section class=\"card plots\" id=\"plots\"><h2>Plots</h2>");
    let names = [
        (crate::plot::LATENCY_RAW_PNG, "latency of every operation"),
        (crate::plot::LATENCY_QUANTILES_PNG, "latency quantiles"),
        (crate::plot::RATE_PNG, "throughput"),
    ];
    for (i, (file, alt)) in names.iter().enumerate() {
        let src = match images {
            Images::Linked => (*file).to_string(),
            Images::Embedded(p) => format!("data:image/png;base64,{}", base64(p.files()[i].1)),
        };
        let _ = write!(out, "<img src=\"{}\" alt=\"{}\">", html(&src), html(alt));
    }
    out.push_str("</section>");
}
