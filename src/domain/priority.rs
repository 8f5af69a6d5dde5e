//! Priority is derived from impact × urgency through a matrix a desk may configure.

use serde::Deserialize;

/// Impact and urgency: 1 high, 2 medium, 3 low.
pub const LEVELS: std::ops::RangeInclusive<u8> = 1..=3;

/// `rows[impact-1][urgency-1]` is the priority, 1 (critical) to 5 (planning).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<Vec<u8>>")]
pub struct Matrix {
    rows: [[u8; 3]; 3],
}

impl Default for Matrix {
    /// The matrix of ITIL.md.
    fn default() -> Self {
        Matrix {
            rows: [[1, 2, 3], [2, 3, 4], [3, 4, 5]],
        }
    }
}

impl TryFrom<Vec<Vec<u8>>> for Matrix {
    type Error = String;
    fn try_from(v: Vec<Vec<u8>>) -> Result<Self, Self::Error> {
        if v.len() != 3 || v.iter().any(|r| r.len() != 3) {
            return Err("the priority matrix has 3 rows (impact 1-3) of 3 priorities (urgency 1-3)".into());
        }
        let mut rows = [[0u8; 3]; 3];
        for (i, row) in v.iter().enumerate() {
            for (j, &p) in row.iter().enumerate() {
                if !(1..=5).contains(&p) {
                    return Err(format!("priority {p} in the matrix is not between 1 and 5"));
                }
                rows[i][j] = p;
            }
        }
        Ok(Matrix { rows })
    }
}

impl Matrix {
    /// The priority for an impact and an urgency, each 1–3; `None` if either is out of range.
    pub fn priority(&self, impact: u8, urgency: u8) -> Option<u8> {
        if !LEVELS.contains(&impact) || !LEVELS.contains(&urgency) {
            return None;
        }
        Some(self.rows[usize::from(impact - 1)][usize::from(urgency - 1)])
    }
}

/// `P1 critical`, `P2 high`, … for people.
pub fn label(priority: u8) -> &'static str {
    match priority {
        1 => "critical",
        2 => "high",
        3 => "moderate",
        4 => "low",
        _ => "planning",
    }
}

/// `1 high`, `2 medium`, `3 low`.
pub fn level_label(level: u8) -> &'static str {
    match level {
        1 => "high",
        2 => "medium",
        _ => "low",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matrix_is_the_one_of_itil_md() {
        let m = Matrix::default();
        let expected = [
            (1, 1, 1),
            (1, 2, 2),
            (1, 3, 3),
            (2, 1, 2),
            (2, 2, 3),
            (2, 3, 4),
            (3, 1, 3),
            (3, 2, 4),
            (3, 3, 5),
        ];
        for (impact, urgency, p) in expected {
            assert_eq!(
                m.priority(impact, urgency),
                Some(p),
                "impact {impact} urgency {urgency}"
            );
        }
    }

    #[test]
    fn out_of_range_levels_have_no_priority() {
        let m = Matrix::default();
        assert_eq!(m.priority(0, 1), None);
        assert_eq!(m.priority(1, 4), None);
        assert_eq!(m.priority(7, 2), None);
    }

    #[test]
    fn a_configured_matrix_is_used_and_a_bad_one_refused() {
        let m = Matrix::try_from(vec![vec![1, 1, 2], vec![2, 2, 3], vec![4, 5, 5]]).unwrap();
        assert_eq!(m.priority(1, 2), Some(1));
        assert_eq!(m.priority(3, 1), Some(4));
        assert!(Matrix::try_from(vec![vec![1, 2, 3]]).is_err());
        assert!(Matrix::try_from(vec![vec![1, 2, 9], vec![1, 2, 3], vec![1, 2, 3]]).is_err());
    }

    #[test]
    fn labels() {
        assert_eq!(label(1), "critical");
        assert_eq!(label(5), "planning");
        assert_eq!(level_label(2), "medium");
    }
}
