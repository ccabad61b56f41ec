"""The sandbox's service-specific credentials (awsroles.sandbox.server.patches), as IAM keeps them
(IAM API Reference, CreateServiceSpecificCredential, ListServiceSpecificCredentials,
DeleteServiceSpecificCredential and DeleteUser)."""

from __future__ import annotations

import botocore.exceptions
import pytest

from awsroles.aws import Aws

CODECOMMIT = "codecommit.amazonaws.com"


def code(caught: pytest.ExceptionInfo[botocore.exceptions.ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def test_create_list_delete_and_the_rules(ops_aws: Aws) -> None:
    iam = ops_aws.client("iam")
    iam.create_user(UserName="erin")
    made = iam.create_service_specific_credential(UserName="erin", ServiceName=CODECOMMIT)["ServiceSpecificCredential"]
    assert made["ServicePassword"] and made["Status"] == "Active" and made["UserName"] == "erin"
    assert made["ServiceSpecificCredentialId"].startswith("ACCA")
    iam.create_service_specific_credential(UserName="erin", ServiceName="cassandra.amazonaws.com")
    listed = iam.list_service_specific_credentials(UserName="erin")["ServiceSpecificCredentials"]
    assert sorted(c["ServiceName"] for c in listed) == ["cassandra.amazonaws.com", CODECOMMIT]
    assert all("ServicePassword" not in c for c in listed)  # shown once, when made
    only = iam.list_service_specific_credentials(UserName="erin", ServiceName=CODECOMMIT)["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in only] == [made["ServiceSpecificCredentialId"]]

    iam.create_service_specific_credential(UserName="erin", ServiceName=CODECOMMIT)
    with pytest.raises(botocore.exceptions.ClientError) as third:  # two per user and service
        iam.create_service_specific_credential(UserName="erin", ServiceName=CODECOMMIT)
    assert code(third) == "LimitExceeded"
    with pytest.raises(botocore.exceptions.ClientError) as other:
        iam.create_service_specific_credential(UserName="erin", ServiceName="s3.amazonaws.com")
    assert code(other) == "NotSupportedService"
    with pytest.raises(botocore.exceptions.ClientError) as nobody:
        iam.create_service_specific_credential(UserName="nobody", ServiceName=CODECOMMIT)
    assert code(nobody) == "NoSuchEntity"
    with pytest.raises(botocore.exceptions.ClientError) as nobody:
        iam.list_service_specific_credentials(UserName="nobody")
    assert code(nobody) == "NoSuchEntity"

    with pytest.raises(botocore.exceptions.ClientError) as conflict:  # credentials first, then the user
        iam.delete_user(UserName="erin")
    assert code(conflict) == "DeleteConflict"
    for credential in iam.list_service_specific_credentials(UserName="erin")["ServiceSpecificCredentials"]:
        iam.delete_service_specific_credential(UserName="erin",
                                               ServiceSpecificCredentialId=credential["ServiceSpecificCredentialId"])
    with pytest.raises(botocore.exceptions.ClientError) as gone:
        iam.delete_service_specific_credential(UserName="erin", ServiceSpecificCredentialId=made[
            "ServiceSpecificCredentialId"])
    assert code(gone) == "NoSuchEntity"
    iam.delete_user(UserName="erin")
    iam.create_user(UserName="erin")  # a new user of the same name holds none
    assert iam.list_service_specific_credentials(UserName="erin")["ServiceSpecificCredentials"] == []
