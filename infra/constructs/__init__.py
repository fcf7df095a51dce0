"""cdktf constructs for the AWS GPU platform, one concern per module (aws-cdk style: `(scope, id, *, props)`)."""
