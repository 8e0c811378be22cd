//! Tests of `lambda`.

#[test]
fn qualifiers_are_cut_from_arns() {
    assert_eq!(
        super::unqualified("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"),
        "arn:aws:lambda:us-east-1:123456789012:function:f"
    );
    assert_eq!(
        super::unqualified("arn:aws:lambda:us-east-1:123456789012:function:f"),
        "arn:aws:lambda:us-east-1:123456789012:function:f"
    );
    assert_eq!(
        super::unqualified("arn:aws:lambda:us-east-1:123456789012:function:f:RAM512"),
        "arn:aws:lambda:us-east-1:123456789012:function:f"
    );
}
