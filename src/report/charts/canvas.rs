//! The drawing surface: anti-aliased shapes (tiny-skia) and text in the embedded DejaVu Sans
//! (ab_glyph), on an opaque white 1280×720 picture.

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Rect, Stroke, StrokeDash,
    Transform,
};

use super::encode;
use super::model::{ChartError, Png};

static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const fn hex(v: u32) -> Rgb {
        Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)
    }

    /// This colour moved `t` (0..=1) of the way to `other`: a solid tint, no transparency.
    pub fn mix(self, other: Rgb, t: f32) -> Rgb {
        let m = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }

    fn with_alpha(self, alpha: f32) -> Color {
        Color::from_rgba8(
            self.0,
            self.1,
            self.2,
            (alpha.clamp(0.0, 1.0) * 255.0).round() as u8,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Weight {
    Regular,
    Bold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Center,
    Right,
}

/// A line's look: solid, or dashed as `(dash, gap)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Dash {
    Solid,
    Dashed(f32, f32),
}

struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl Fonts {
    fn load() -> Result<Fonts, ChartError> {
        Ok(Fonts {
            regular: FontRef::try_from_slice(REGULAR).map_err(|_| ChartError::Font)?,
            bold: FontRef::try_from_slice(BOLD).map_err(|_| ChartError::Font)?,
        })
    }

    fn get(&self, weight: Weight) -> &FontRef<'static> {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// The scale that makes the font's em `size` pixels tall (CSS-like font sizes).
fn px_scale(font: &FontRef<'_>, size: f32) -> PxScale {
    let upem = font.units_per_em().unwrap_or(2048.0);
    PxScale::from(size * font.height_unscaled() / upem)
}

pub(super) struct Canvas {
    pixmap: Pixmap,
    fonts: Fonts,
}

impl Canvas {
    pub fn new(width: u32, height: u32) -> Result<Canvas, ChartError> {
        let mut pixmap = Pixmap::new(width, height).ok_or(ChartError::Canvas)?;
        pixmap.fill(Color::WHITE);
        Ok(Canvas {
            pixmap,
            fonts: Fonts::load()?,
        })
    }

    pub fn width(&self) -> f32 {
        self.pixmap.width() as f32
    }

    fn paint(color: Rgb, alpha: f32) -> Paint<'static> {
        let mut paint = Paint::default();
        paint.set_color(color.with_alpha(alpha));
        paint.anti_alias = true;
        paint
    }

    /// A filled rectangle; nothing for an empty one.
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb, alpha: f32) {
        if let Some(rect) = Rect::from_xywh(x, y, w, h) {
            self.pixmap.fill_rect(
                rect,
                &Self::paint(color, alpha),
                Transform::identity(),
                None,
            );
        }
    }

    /// A bar growing up from `bottom` to `top`, its top corners rounded.
    pub fn bar(&mut self, x: f32, top: f32, w: f32, bottom: f32, radius: f32, color: Rgb) {
        let h = bottom - top;
        if w <= 0.0 || h <= 0.0 {
            return;
        }
        let r = radius.min(w / 2.0).min(h);
        if r < 0.5 {
            self.rect(x, top, w, h, color, 1.0);
            return;
        }
        let mut pb = PathBuilder::new();
        pb.move_to(x, bottom);
        pb.line_to(x, top + r);
        pb.quad_to(x, top, x + r, top);
        pb.line_to(x + w - r, top);
        pb.quad_to(x + w, top, x + w, top + r);
        pb.line_to(x + w, bottom);
        pb.close();
        self.fill(pb, color, 1.0);
    }

    /// A horizontal bar growing right from `left`, its right end rounded.
    pub fn hbar(&mut self, left: f32, y: f32, len: f32, h: f32, radius: f32, color: Rgb) {
        if len <= 0.0 || h <= 0.0 {
            return;
        }
        let r = radius.min(h / 2.0).min(len);
        if r < 0.5 {
            self.rect(left, y, len, h, color, 1.0);
            return;
        }
        let right = left + len;
        let mut pb = PathBuilder::new();
        pb.move_to(left, y);
        pb.line_to(right - r, y);
        pb.quad_to(right, y, right, y + r);
        pb.line_to(right, y + h - r);
        pb.quad_to(right, y + h, right - r, y + h);
        pb.line_to(left, y + h);
        pb.close();
        self.fill(pb, color, 1.0);
    }

    fn fill(&mut self, pb: PathBuilder, color: Rgb, alpha: f32) {
        if let Some(path) = pb.finish() {
            self.pixmap.fill_path(
                &path,
                &Self::paint(color, alpha),
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
    }

    /// A crisp horizontal rule `width` pixels thick centred on `y`.
    pub fn hline(&mut self, x0: f32, x1: f32, y: f32, width: f32, color: Rgb) {
        let top = (y - width / 2.0).round();
        self.rect(x0, top, x1 - x0, width, color, 1.0);
    }

    /// A polyline through `points`; a single point draws nothing.
    pub fn polyline(
        &mut self,
        points: &[(f32, f32)],
        width: f32,
        color: Rgb,
        alpha: f32,
        dash: Dash,
    ) {
        if points.len() < 2 {
            return;
        }
        let mut pb = PathBuilder::new();
        pb.move_to(points[0].0, points[0].1);
        for &(x, y) in &points[1..] {
            pb.line_to(x, y);
        }
        let Some(path) = pb.finish() else { return };
        let stroke = Stroke {
            width,
            line_cap: match dash {
                Dash::Solid => LineCap::Round,
                Dash::Dashed(..) => LineCap::Butt,
            },
            line_join: LineJoin::Round,
            dash: match dash {
                Dash::Solid => None,
                Dash::Dashed(on, off) => StrokeDash::new(vec![on, off], 0.0),
            },
            ..Stroke::default()
        };
        self.pixmap.stroke_path(
            &path,
            &Self::paint(color, alpha),
            &stroke,
            Transform::identity(),
            None,
        );
    }

    /// The area between a polyline and the horizontal line `base_y`.
    pub fn area(&mut self, points: &[(f32, f32)], base_y: f32, color: Rgb, alpha: f32) {
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            return;
        };
        if points.len() < 2 {
            return;
        }
        let mut pb = PathBuilder::new();
        pb.move_to(first.0, base_y);
        for &(x, y) in points {
            pb.line_to(x, y);
        }
        pb.line_to(last.0, base_y);
        pb.close();
        self.fill(pb, color, alpha);
    }

    /// A dot: filled with `fill`, ringed with `ring` of `ring_width` if given.
    pub fn dot(&mut self, cx: f32, cy: f32, r: f32, fill: Rgb, ring: Option<(Rgb, f32)>) {
        let (outer, inner) = match ring {
            Some((_, w)) => (r + w / 2.0, r - w / 2.0),
            None => (r, r),
        };
        if let Some((ring_color, _)) = ring {
            let mut pb = PathBuilder::new();
            pb.push_circle(cx, cy, outer);
            self.fill(pb, ring_color, 1.0);
        }
        if inner > 0.0 {
            let mut pb = PathBuilder::new();
            pb.push_circle(cx, cy, inner);
            self.fill(pb, fill, 1.0);
        }
    }

    /// The advance width of `text`.
    pub fn text_width(&self, text: &str, size: f32, weight: Weight) -> f32 {
        let font = self.fonts.get(weight);
        let scaled = font.as_scaled(px_scale(font, size));
        let mut width = 0.0;
        let mut prev: Option<GlyphId> = None;
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(p) = prev {
                width += scaled.kern(p, id);
            }
            width += scaled.h_advance(id);
            prev = Some(id);
        }
        width
    }

    /// `text` cut with "…" to fit `max_width`.
    pub fn fit(&self, text: &str, size: f32, weight: Weight, max_width: f32) -> String {
        if self.text_width(text, size, weight) <= max_width {
            return text.to_owned();
        }
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let candidate: String = chars.iter().collect::<String>().trim_end().to_owned() + "…";
            if self.text_width(&candidate, size, weight) <= max_width {
                return candidate;
            }
        }
        String::new()
    }

    /// Draws `text` with its baseline at `baseline`, aligned on `x`; returns its width.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        text: &str,
        x: f32,
        baseline: f32,
        size: f32,
        weight: Weight,
        color: Rgb,
        align: Align,
    ) -> f32 {
        let width = self.text_width(text, size, weight);
        let mut pen = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
            Align::Right => x - width,
        };
        let Canvas { pixmap, fonts } = self;
        let font = fonts.get(weight);
        let scale = px_scale(font, size);
        let scaled = font.as_scaled(scale);
        let (w, h) = (pixmap.width() as i64, pixmap.height() as i64);
        let data = pixmap.data_mut();
        let mut prev: Option<GlyphId> = None;
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scale, point(pen, baseline));
            if let Some(outlined) = font.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                let (ox, oy) = (bounds.min.x as i64, bounds.min.y as i64);
                outlined.draw(|gx, gy, coverage| {
                    let (px, py) = (ox + i64::from(gx), oy + i64::from(gy));
                    if px < 0 || py < 0 || px >= w || py >= h {
                        return;
                    }
                    let at = ((py * w + px) * 4) as usize;
                    blend(&mut data[at..at + 3], color, coverage.min(1.0));
                });
            }
            pen += scaled.h_advance(id);
            prev = Some(id);
        }
        width
    }

    /// The picture as a PNG.
    pub fn finish(self) -> Result<Png, ChartError> {
        let (width, height) = (self.pixmap.width(), self.pixmap.height());
        let bytes = encode::png_rgb(self.pixmap.data(), width, height)?;
        Ok(Png {
            bytes,
            width,
            height,
        })
    }
}

/// Source-over of an opaque colour with `alpha` onto an opaque (premultiplied = plain) pixel.
fn blend(dst: &mut [u8], color: Rgb, alpha: f32) {
    for (d, s) in dst.iter_mut().zip([color.0, color.1, color.2]) {
        let v = f32::from(*d) + (f32::from(s) - f32::from(*d)) * alpha;
        *d = v.round().clamp(0.0, 255.0) as u8;
    }
}
