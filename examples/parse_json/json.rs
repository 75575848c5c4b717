//! A small, strict JSON parser that builds its tree through any allocator: nodes, strings and
//! child vectors all come from `A`. With `&MemoryArena` the whole document lives in one arena
//! and is freed by one `reset`.
//!
//! Shared by the `parse_json` example and the `arena_parse` fuzz target.

use memory_manager::allocator_api2::alloc::Allocator;
use memory_manager::allocator_api2::vec::Vec;

/// How deep arrays and objects may nest before the parser refuses (no stack overflow on
/// hostile input).
pub const MAX_DEPTH: usize = 256;

/// A JSON value whose memory comes from `A`.
pub enum Value<A: Allocator + Copy> {
    Null,
    Bool(bool),
    Number(f64),
    /// UTF-8 text, escapes resolved.
    String(Vec<u8, A>),
    Array(Vec<Value<A>, A>),
    Object(Vec<(Vec<u8, A>, Value<A>), A>),
}

/// What went wrong, and at which byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub reason: &'static str,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

/// Counts of what a tree holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Census {
    pub nodes: usize,
    pub strings: usize,
    pub string_bytes: usize,
    pub finite_numbers: usize,
    pub trues: usize,
}

impl<A: Allocator + Copy> Value<A> {
    /// Walks the tree and counts it.
    pub fn census(&self) -> Census {
        let mut census = Census::default();
        let mut stack = std::vec![self];
        while let Some(value) = stack.pop() {
            census.nodes += 1;
            match value {
                Value::String(s) => {
                    census.strings += 1;
                    census.string_bytes += s.len();
                }
                Value::Array(items) => stack.extend(items.iter()),
                Value::Object(fields) => {
                    for (key, value) in fields.iter() {
                        census.strings += 1;
                        census.string_bytes += key.len();
                        stack.push(value);
                    }
                }
                Value::Number(n) => census.finite_numbers += usize::from(n.is_finite()),
                Value::Bool(b) => census.trues += usize::from(*b),
                Value::Null => {}
            }
        }
        census
    }
}

/// Parses one JSON document (surrounding whitespace allowed), allocating through `alloc`.
pub fn parse<A: Allocator + Copy>(input: &[u8], alloc: A) -> Result<Value<A>, ParseError> {
    let mut parser = Parser {
        input,
        pos: 0,
        alloc,
        items: std::vec::Vec::new(),
        fields: std::vec::Vec::new(),
    };
    parser.skip_whitespace();
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos != input.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

/// The parser. Children are collected on two scratch stacks (global memory, reused) and moved
/// into an exactly sized vector from `A` when their container closes: in an arena, a vector
/// that grew while its children were being allocated after it could not grow in place, and
/// every growth would leave a dead copy behind.
struct Parser<'i, A: Allocator + Copy> {
    input: &'i [u8],
    pos: usize,
    alloc: A,
    items: std::vec::Vec<Value<A>>,
    fields: std::vec::Vec<(Vec<u8, A>, Value<A>)>,
}

impl<A: Allocator + Copy> Parser<'_, A> {
    fn close_array(&mut self, base: usize) -> Result<Value<A>, ParseError> {
        let items = self.collect(base, |parser| &mut parser.items)?;
        Ok(Value::Array(items))
    }

    fn close_object(&mut self, base: usize) -> Result<Value<A>, ParseError> {
        let fields = self.collect(base, |parser| &mut parser.fields)?;
        Ok(Value::Object(fields))
    }

    /// Moves the values of a side stack from `base` on into an exactly sized vector in `A`, with
    /// one copy (allocator-api2's `extend` moves them one at a time, checking for growth).
    fn collect<T>(
        &mut self,
        base: usize,
        stack: impl Fn(&mut Self) -> &mut std::vec::Vec<T>,
    ) -> Result<Vec<T, A>, ParseError> {
        let count = stack(self).len() - base;
        let mut out: Vec<T, A> = Vec::new_in(self.alloc);
        out.try_reserve_exact(count)
            .map_err(|_| self.error("out of memory"))?;
        let stack = stack(self);
        // SAFETY: `out` has room for `count` values and is empty; the last `count` values of
        // the stack are moved into it bit for bit, and the stack's length drops below them
        // first, so each value has exactly one owner afterwards. The buffers are distinct.
        unsafe {
            stack.set_len(base);
            out.as_mut_ptr()
                .copy_from_nonoverlapping(stack.as_ptr().add(base), count);
            out.set_len(count);
        }
        Ok(out)
    }

    /// Appends to a string, or fails cleanly when the allocator refuses (a capped arena).
    ///
    /// One copy rather than `extend_from_slice`, which allocator-api2 (with no specialization
    /// on stable Rust) runs a byte at a time, with the growth check inside the loop.
    fn append(&self, out: &mut Vec<u8, A>, bytes: &[u8]) -> Result<(), ParseError> {
        out.try_reserve(bytes.len())
            .map_err(|_| self.error("out of memory"))?;
        let len = out.len();
        // SAFETY: `try_reserve` made room for `bytes.len()` more bytes past `len`; the copy
        // initialises exactly those before `set_len` counts them; `bytes` is the input, which
        // cannot overlap the vector's own buffer.
        unsafe {
            out.as_mut_ptr()
                .add(len)
                .copy_from_nonoverlapping(bytes.as_ptr(), bytes.len());
            out.set_len(len + bytes.len());
        }
        Ok(())
    }

    fn error(&self, reason: &'static str) -> ParseError {
        ParseError {
            offset: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &[u8]) -> Result<(), ParseError> {
        if self.input[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(())
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<A>, ParseError> {
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.expect_literal(b"null").map(|_| Value::Null),
            Some(b't') => self.expect_literal(b"true").map(|_| Value::Bool(true)),
            Some(b'f') => self.expect_literal(b"false").map(|_| Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value<A>, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.pos += 1; // '['
        let base = self.items.len();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return self.close_array(base);
        }
        loop {
            self.skip_whitespace();
            let item = self.value(depth + 1)?;
            self.items.push(item);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return self.close_array(base);
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<A>, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.pos += 1; // '{'
        let base = self.fields.len();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return self.close_object(base);
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            self.fields.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return self.close_object(base);
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self
            .input
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("truncated \\u escape"))?;
        let mut value = 0;
        for &d in digits {
            let nibble = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.error("bad hex digit in \\u escape"))?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }

    fn string(&mut self) -> Result<Vec<u8, A>, ParseError> {
        self.pos += 1; // opening quote
        // Fast path: copy the run up to the first quote or backslash in one go.
        let run = self.input[self.pos..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .ok_or_else(|| self.error("unterminated string"))?;
        let mut out = Vec::new_in(self.alloc);
        out.try_reserve_exact(run)
            .map_err(|_| self.error("out of memory"))?;
        loop {
            let rest = &self.input[self.pos..];
            let run = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .ok_or_else(|| self.error("unterminated string"))?;
            self.append(&mut out, &rest[..run])?;
            self.pos += run;
            match self.input[self.pos] {
                b'"' => {
                    self.pos += 1;
                    std::str::from_utf8(&out).map_err(|_| self.error("invalid UTF-8"))?;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let escape = self.peek().ok_or_else(|| self.error("truncated escape"))?;
                    self.pos += 1;
                    let byte = match escape {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0C,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let mut code = self.hex4()?;
                            if (0xD800..0xDC00).contains(&code) {
                                if !self.input[self.pos..].starts_with(b"\\u") {
                                    return Err(self.error("unpaired surrogate"));
                                }
                                self.pos += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(self.error("unpaired surrogate"));
                                }
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            }
                            let c = char::from_u32(code)
                                .ok_or_else(|| self.error("invalid code point"))?;
                            let mut buf = [0; 4];
                            self.append(&mut out, c.encode_utf8(&mut buf).as_bytes())?;
                            continue;
                        }
                        _ => return Err(self.error("unknown escape")),
                    };
                    self.append(&mut out, &[byte])?;
                }
                _ => return Err(self.error("control character in string")),
            }
        }
    }

    fn number(&mut self) -> Result<f64, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                }
            }
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit after '.'"));
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit in the exponent"));
            }
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
        }
        // The grammar above admits only ASCII digits, signs, '.', 'e': valid UTF-8 and a valid
        // Rust float literal.
        std::str::from_utf8(&self.input[start..self.pos])
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| self.error("bad number"))
    }
}
