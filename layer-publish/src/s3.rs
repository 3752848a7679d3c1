//! Zips too large for an inline upload go to S3 first, under a
//! content-addressed key (`PREFIX` + `NAME/SHA256.zip`). An object already
//! there with the same SHA-256 is not uploaded again.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumMode;
use layer_aws::{aws_error, is_error_code};
use layer_core::Result;
use layer_core::sections::S3Upload;

use crate::aws::RegionClients;
use crate::jobs::Job;
use crate::publish::rehash;

/// The bucket for one account and region: `{region}` and `{account}` in the
/// name are replaced (the account is asked of STS only when the template
/// names it and no `--account` does).
pub async fn bucket_in(template: &str, region: &RegionClients) -> Result<String> {
    let bucket = template.replace("{region}", &region.region);
    if !bucket.contains("{account}") {
        return Ok(bucket);
    }
    Ok(bucket.replace("{account}", &region.account().await?))
}

pub fn key_for(prefix: &str, job: &Job) -> String {
    format!("{prefix}{}/{}.zip", job.name, job.sha256_hex)
}

/// Make sure the zip is in the bucket; upload only when it is not.
pub async fn ensure_uploaded(
    client: &Client,
    bucket: &str,
    key: &str,
    job: &Job,
) -> Result<S3Upload> {
    let location = |uploaded| S3Upload {
        bucket: bucket.to_string(),
        key: key.to_string(),
        uploaded,
    };
    if already_there(client, bucket, key, job).await? {
        tracing::info!(
            "{}: s3://{bucket}/{key} already holds this zip; not uploading",
            job.name
        );
        return Ok(location(false));
    }
    rehash(job)?;
    let body = ByteStream::from_path(&job.zip_path)
        .await
        .map_err(|err| layer_core::Error::io("read", &job.zip_path, std::io::Error::other(err)))?;
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body)
        // S3 checks the bytes it received against this and refuses a mismatch.
        .checksum_sha256(&job.code_sha256)
        .metadata("sha256", &job.sha256_hex)
        .content_type("application/zip")
        .send()
        .await
        .map_err(|err| {
            aws_error(
                &format!("uploading the zip to s3://{bucket}/{key} (PutObject)"),
                err,
            )
        })?;
    tracing::info!(
        "{}: uploaded {} bytes to s3://{bucket}/{key}",
        job.name,
        job.zip_bytes
    );
    Ok(location(true))
}

/// Is the object there with our SHA-256 (by its checksum or our metadata)?
pub async fn already_there(client: &Client, bucket: &str, key: &str, job: &Job) -> Result<bool> {
    let result = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await;
    match result {
        Ok(head) => {
            let by_checksum = head.checksum_sha256() == Some(job.code_sha256.as_str());
            let by_metadata = head
                .metadata()
                .and_then(|m| m.get("sha256"))
                .is_some_and(|hex| *hex == job.sha256_hex);
            let same_size = head.content_length() == Some(job.zip_bytes as i64);
            Ok((by_checksum || by_metadata) && same_size)
        }
        Err(err) if is_error_code(&err, "NotFound") || is_error_code(&err, "NoSuchKey") => {
            Ok(false)
        }
        Err(err) => Err(aws_error(
            &format!("checking s3://{bucket}/{key} (HeadObject)"),
            err,
        )),
    }
}
