//! Small inline SVG charts, written directly: no plotting dependency, a few
//! kilobytes per chart, text that prints crisply.

use std::fmt::Write as _;

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Plot area and axes of one chart.
struct Frame {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn new(width: f64, height: f64) -> Self {
        Self {
            width,
            height,
            left: 48.0,
            right: 12.0,
            top: 22.0,
            bottom: 34.0,
        }
    }
    fn x(&self, fraction: f64) -> f64 {
        self.left + fraction.clamp(0.0, 1.0) * (self.width - self.left - self.right)
    }
    /// A dashed vertical line at `x` across the plot, labelled at its top
    /// (`drop` lower, so that labels of close lines do not overlap).
    fn cut(&self, svg: &mut String, x: f64, label: &str, drop: f64) {
        write!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" class=\"cut\"/>\
             <text x=\"{:.1}\" y=\"{}\" class=\"lbl\">{label}</text>",
            self.y(1.0),
            self.y(0.0),
            x + 3.0,
            self.y(1.0) + 10.0 + drop,
        )
        .unwrap();
    }

    fn y(&self, fraction: f64) -> f64 {
        self.height
            - self.bottom
            - fraction.clamp(0.0, 1.0) * (self.height - self.top - self.bottom)
    }
    fn open(&self, id: &str, title: &str) -> String {
        format!(
            "<svg id=\"{id}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" \
             width=\"{w}\" height=\"{h}\" role=\"img\"><title>{t}</title>\
             <text x=\"{l}\" y=\"14\" class=\"ct\">{t}</text>\
             <line x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" class=\"axis\"/>\
             <line x1=\"{l}\" y1=\"{tp}\" x2=\"{l}\" y2=\"{b}\" class=\"axis\"/>",
            w = self.width,
            h = self.height,
            t = escape(title),
            l = self.left,
            r = self.width - self.right,
            b = self.height - self.bottom,
            tp = self.top,
        )
    }
}

fn number(x: f64) -> String {
    let text = if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    };
    text.replace('.', ",")
}

/// A histogram of shares (0–1) in 5-point bins, with the threshold line.
pub fn histogram(id: &str, title: &str, shares: &[f64], threshold: f64) -> String {
    let f = Frame::new(300.0, 170.0);
    let bins = 20usize;
    let mut counts = vec![0usize; bins];
    for s in shares {
        counts[((s * bins as f64) as usize).min(bins - 1)] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut svg = f.open(id, title);
    for (i, count) in counts.iter().enumerate() {
        let (x0, x1) = (
            f.x(i as f64 / bins as f64),
            f.x((i + 1) as f64 / bins as f64),
        );
        let y = f.y(*count as f64 / max);
        let over = (i as f64 + 0.5) / bins as f64 >= threshold;
        write!(
            svg,
            "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" class=\"{}\"><title>{}–{} %: {count}</title></rect>",
            (x1 - x0 - 1.0).max(0.5),
            f.y(0.0) - y,
            if over { "bar hot" } else { "bar" },
            i * 5,
            (i + 1) * 5
        )
        .unwrap();
    }
    f.cut(
        &mut svg,
        f.x(threshold),
        &format!("порог {} %", number(threshold * 100.0)),
        0.0,
    );
    for tick in [0.0, 0.5, 1.0] {
        write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"middle\">{} %</text>",
            f.x(tick),
            f.y(0.0) + 14.0,
            number(tick * 100.0)
        )
        .unwrap();
    }
    write!(
        svg,
        "<text x=\"{}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{}</text></svg>",
        f.left - 4.0,
        f.y(1.0) + 4.0,
        max as usize
    )
    .unwrap();
    svg
}

/// One point of the scatter.
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub group: String,
    pub label: String,
}

/// Risk score (x) against failure share (y), coloured by context group, with
/// vertical cut lines and the fitted line.
pub fn scatter(
    id: &str,
    title: &str,
    points: &[Point],
    cuts: &[(f64, &str)],
    fit: Option<(f64, f64)>,
) -> String {
    let f = Frame::new(640.0, 380.0);
    let (mut lo, mut hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.x), b.max(p.x))
        });
    for (c, _) in cuts {
        lo = lo.min(*c);
        hi = hi.max(*c);
    }
    if !(lo.is_finite() && hi > lo) {
        lo = -1.0;
        hi = 1.0;
    }
    let y_max = points.iter().map(|p| p.y).fold(0.0f64, f64::max).max(0.05);
    let sx = |x: f64| f.x((x - lo) / (hi - lo));
    let sy = |y: f64| f.y(y / y_max);
    let mut svg = f.open(id, title);
    if let Some((intercept, slope)) = fit {
        write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" class=\"fit\"/>",
            sx(lo),
            sy(intercept + slope * lo),
            sx(hi),
            sy(intercept + slope * hi)
        )
        .unwrap();
    }
    for (i, (c, label)) in cuts.iter().enumerate() {
        // Labels step down so that close lines do not print over each other.
        f.cut(&mut svg, sx(*c), &escape(label), 12.0 * i as f64);
    }
    for p in points {
        write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.2\" class=\"pt {}\"><title>{}</title></circle>",
            sx(p.x),
            sy(p.y),
            escape(&p.group),
            escape(&p.label)
        )
        .unwrap();
    }
    write!(
        svg,
        "<text x=\"{:.1}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">индекс социального риска</text>\
         <text x=\"{}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{} %</text>\
         <text x=\"{}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">0</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"middle\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"middle\">{}</text></svg>",
        f.x(0.5),
        f.height - 4.0,
        f.left - 4.0,
        f.y(1.0) + 4.0,
        number(y_max * 100.0),
        f.left - 4.0,
        f.y(0.0),
        f.x(0.0),
        f.y(0.0) + 14.0,
        number(lo),
        f.x(1.0),
        f.y(0.0) + 14.0,
        number(hi)
    )
    .unwrap();
    svg
}

/// Horizontal grouped bars: one row per label, one bar per series.
pub fn bars(id: &str, title: &str, rows: &[(String, Vec<f64>)], series: &[(&str, &str)]) -> String {
    let row_height = 14.0 * series.len() as f64 + 8.0;
    let mut f = Frame::new(640.0, 60.0 + row_height * rows.len() as f64);
    f.left = 170.0;
    let max = rows
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0f64, f64::max)
        .max(1.0);
    let mut svg = f.open(id, title);
    for (r, (label, values)) in rows.iter().enumerate() {
        let y0 = f.top + 6.0 + r as f64 * row_height;
        write!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"end\">{}</text>",
            f.left - 6.0,
            y0 + row_height / 2.0,
            escape(label)
        )
        .unwrap();
        for (s, value) in values.iter().enumerate() {
            let y = y0 + s as f64 * 14.0;
            let w = f.x(value / max) - f.left;
            write!(
                svg,
                "<rect x=\"{}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"12\" class=\"bar {}\">\
                 <title>{}: {}</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\">{}</text>",
                f.left,
                series[s].1,
                escape(series[s].0),
                number(*value),
                f.left + w + 3.0,
                y + 10.0,
                number(*value)
            )
            .unwrap();
        }
    }
    let legend_y = f.height - 10.0;
    for (s, (name, class)) in series.iter().enumerate() {
        let x = f.left + s as f64 * 130.0;
        write!(
            svg,
            "<rect x=\"{x}\" y=\"{:.1}\" width=\"10\" height=\"10\" class=\"bar {class}\"/>\
             <text x=\"{:.1}\" y=\"{legend_y:.1}\" class=\"tick\">{}</text>",
            legend_y - 9.0,
            x + 14.0,
            escape(name)
        )
        .unwrap();
    }
    svg.push_str("</svg>");
    svg
}

/// One school's interval of the mean score.
pub struct Interval {
    pub low: f64,
    pub high: f64,
    pub flagged: bool,
    pub label: String,
}

/// Each school's interval of the mean score (a thin horizontal line, red
/// when flagged) against the region's interval (the shaded band), schools
/// in the order given (by mean).
pub fn intervals(id: &str, title: &str, schools: &[Interval], region: (f64, f64)) -> String {
    let step = (600.0 / schools.len().max(1) as f64).clamp(1.0, 6.0);
    let f = Frame::new(640.0, 60.0 + step * schools.len() as f64);
    let (lo, hi) = schools
        .iter()
        .fold(region, |(a, b), s| (a.min(s.low), b.max(s.high)));
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    let sx = |x: f64| f.x((x - lo) / (hi - lo));
    let mut svg = f.open(id, title);
    write!(
        svg,
        "<rect x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{:.1}\" class=\"band\"><title>регион: {}–{}</title></rect>",
        sx(region.0),
        f.top,
        (sx(region.1) - sx(region.0)).max(1.0),
        f.y(0.0) - f.top,
        number(region.0),
        number(region.1)
    )
    .unwrap();
    for (i, s) in schools.iter().enumerate() {
        let y = f.top + step * (i as f64 + 0.5);
        write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" class=\"{}\"><title>{}</title></line>",
            sx(s.low),
            sx(s.high).max(sx(s.low) + 1.0),
            if s.flagged { "ci hot" } else { "ci" },
            escape(&s.label)
        )
        .unwrap();
    }
    write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"middle\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" class=\"tick\" text-anchor=\"middle\">{}</text>\
         <text x=\"{:.1}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">средний первичный балл: интервал школы и региона (полоса)</text></svg>",
        f.x(0.0),
        f.y(0.0) + 14.0,
        number(lo),
        f.x(1.0),
        f.y(0.0) + 14.0,
        number(hi),
        f.x(0.5),
        f.height - 4.0,
    )
    .unwrap();
    svg
}
