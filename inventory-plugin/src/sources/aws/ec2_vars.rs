//! EC2 instances as the host variables of the amazon.aws.aws_ec2 inventory plugin (pure, no I/O).
//!
//! The plugin (amazon.aws 10.1.2, shipped in the `ansible` 12.3.0 package) builds hostvars from
//! boto3's `describe_instances` Instance dict: it merges `OwnerId`, `RequesterId` (`""` when
//! missing) and `ReservationId` from the reservation, applies
//! `camel_dict_to_snake_dict(instance, ignore_list=["Tags"])`, replaces the tag list by a dict and
//! adds `placement.region` (the availability zone minus its last character). Ansible's JSON
//! encoder then writes boto3's datetimes with `isoformat()`. [`instance_hostvars`] produces the
//! same from the SDK types, which have no serde: every struct is converted field by field
//! (`structs!` lists them with their botocore member names), and every key goes through
//! [`camel_to_snake`], a port of the plugin's snake-casing, so keys match it even where its rules
//! surprise (`EnableResourceNameDnsAAAARecord` → `enable_resource_name_dns_aaaa_record`,
//! `TargetGroupARNs` → `target_group_arns`).
//!
//! Value shapes, as in the plugin's `ansible-inventory --list` output: absent fields are missing
//! (never `null`); present but empty lists and structures stay (`"product_codes": []`,
//! `"hibernation_options": {}`); integers and booleans are JSON numbers and booleans; enums are
//! their API strings (unknown ones too); timestamps are UTC `2024-05-01T12:00:00+00:00`, with
//! `.ffffff` microseconds only when they are not zero.
//!
//! The tag dict is `ec2_tags` (the name amazon.aws 11.2 introduced for it) and, with
//! [`TagVars::Both`] (an aws_ec2.yml: the plugin sets `tags`, amazon.aws ≥ 11.2 sets both), also
//! `tags`; palin's own configuration gets `ec2_tags` only, since Ansible reserves `tags` and warns
//! on every run. The one field aws-sdk-ec2 1.274 does not model, `monitoring.metric_category_ids`,
//! is missing where botocore shows it (if AWS returns it).
//!
//! tests/aws/test_compat.py checks all of this against the real plugin, on moto and on a stand-in
//! endpoint that returns every member of botocore's Instance shape.

use std::fmt::Write as _;
use std::sync::OnceLock;

use std::collections::BTreeMap;

use aws_sdk_ec2::primitives::DateTime;
use aws_sdk_ec2::types as ec2;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub use super::snake_case::camel_to_snake;
use crate::date::date_time;

/// The variables that hold an instance's tag dict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagVars {
    /// `ec2_tags` only (palin's own configuration).
    Ec2Tags,
    /// `ec2_tags` and `tags`, as the amazon.aws.aws_ec2 plugin sets them (an aws_ec2.yml).
    Both,
}

/// The hostvars the amazon.aws.aws_ec2 plugin emits for `instance` of `reservation`, with the tag
/// dict under the names `tags` asks for (see the module documentation).
pub fn instance_hostvars(
    reservation: &ec2::Reservation,
    instance: &ec2::Instance,
    tags: TagVars,
) -> Map<String, Value> {
    match serde_json::to_value(InstanceVars {
        reservation,
        instance,
        tags,
    }) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The same as [`instance_hostvars`], as compact JSON text (keys in byte order, like
/// `serde_json::Map` writes them), written straight from the SDK types.
pub fn instance_json(
    reservation: &ec2::Reservation,
    instance: &ec2::Instance,
    tags: TagVars,
) -> Box<RawValue> {
    serde_json::value::to_raw_value(&InstanceVars {
        reservation,
        instance,
        tags,
    })
    .expect("string keys only")
}

/// An instance's hostvars: its fields, the reservation's, the tag dict and `placement.region`.
struct InstanceVars<'a> {
    reservation: &'a ec2::Reservation,
    instance: &'a ec2::Instance,
    tags: TagVars,
}

impl Serialize for InstanceVars<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (r, i) = (self.reservation, self.instance);
        let tags = i.tags.as_deref().unwrap_or_default();
        // In key order, as `serialize_struct` requires.
        let mut extras = vec![("ec2_tags", Extra::Tags(tags))];
        if let Some(owner) = &r.owner_id {
            extras.push(("owner_id", Extra::Str(owner)));
        }
        if let Some(p) = &i.placement {
            extras.push(("placement", Extra::Placement(p)));
        }
        extras.push((
            "requester_id",
            Extra::Str(r.requester_id.as_deref().unwrap_or_default()),
        ));
        if let Some(id) = &r.reservation_id {
            extras.push(("reservation_id", Extra::Str(id)));
        }
        if self.tags == TagVars::Both {
            extras.push(("tags", Extra::Tags(tags)));
        }
        let mut map = s.serialize_map(None)?;
        serialize_fields(i, &mut map, &extras)?;
        map.end()
    }
}

/// Entries that are not fields of the SDK structure being written.
enum Extra<'a> {
    Str(&'a str),
    /// amazon.aws's `boto3_tag_list_to_ansible_dict`: `{Key: Value}`, a later duplicate key wins.
    Tags(&'a [ec2::Tag]),
    /// The placement with the plugin's `placement.region`.
    Placement(&'a ec2::Placement),
}

impl Serialize for Extra<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Extra::Str(v) => s.serialize_str(v),
            Extra::Tags(tags) => {
                let dict: BTreeMap<&str, &str> = tags
                    .iter()
                    .filter_map(|t| {
                        Some((t.key.as_deref()?, t.value.as_deref().unwrap_or_default()))
                    })
                    .collect();
                s.collect_map(dict)
            }
            Extra::Placement(p) => {
                let region = p.availability_zone.as_deref().map(region_of);
                let extras: Vec<(&str, Extra)> = region
                    .map(|r| ("region", Extra::Str(r)))
                    .into_iter()
                    .collect();
                let mut map = s.serialize_map(None)?;
                serialize_fields(*p, &mut map, &extras)?;
                map.end()
            }
        }
    }
}

/// The plugin's `placement.region`: the zone name without its last character. Like the plugin,
/// this gives `us-west-2-lax-1` for the Local Zone `us-west-2-lax-1a`.
fn region_of(az: &str) -> &str {
    az.char_indices().next_back().map_or("", |(i, _)| &az[..i])
}

/// Python's `datetime.isoformat()` of the UTC datetime botocore parses a timestamp into
/// (microsecond resolution, truncated like dateutil does).
fn isoformat(t: &DateTime) -> String {
    let secs = t.secs();
    let mut out = date_time(secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let micros = t.subsec_nanos() / 1_000;
    if micros != 0 {
        let _ = write!(out, ".{micros:06}");
    }
    out.push_str("+00:00");
    out
}

/// One SDK value as the plugin's JSON shows it.
trait ToVar {
    fn to_var<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

/// A [`ToVar`] as `Serialize`.
struct Var<'a, T: ?Sized>(&'a T);

impl<T: ToVar + ?Sized> Serialize for Var<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.to_var(s)
    }
}

/// An SDK structure: its set fields, written in the order of their snake_case keys.
trait Fields {
    /// `(key, field index)` sorted by key.
    fn order() -> &'static [(&'static str, usize)];
    /// Write field number `index` under `key`, if it is set.
    fn field<M: SerializeMap>(&self, index: usize, key: &str, map: &mut M) -> Result<(), M::Error>;
}

/// Write the set fields of `t` and `extras` (sorted by key, no key shared with a field) in
/// key order.
fn serialize_fields<T: Fields, M: SerializeMap>(
    t: &T,
    map: &mut M,
    extras: &[(&str, Extra<'_>)],
) -> Result<(), M::Error> {
    let mut extras = extras.iter().peekable();
    for &(key, index) in T::order() {
        while let Some((k, v)) = extras.next_if(|(k, _)| *k < key) {
            map.serialize_entry(k, v)?;
        }
        t.field(index, key, map)?;
    }
    for (k, v) in extras {
        map.serialize_entry(k, v)?;
    }
    Ok(())
}

fn put<T: ToVar, M: SerializeMap>(
    map: &mut M,
    key: &str,
    value: Option<&T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => map.serialize_entry(key, &Var(v)),
        None => Ok(()),
    }
}

impl ToVar for String {
    fn to_var<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl ToVar for bool {
    fn to_var<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*self)
    }
}

impl ToVar for i32 {
    fn to_var<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(*self)
    }
}

impl ToVar for DateTime {
    fn to_var<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&isoformat(self))
    }
}

impl<T: ToVar> ToVar for Vec<T> {
    fn to_var<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Var))
    }
}

/// The snake_case key of a botocore member name, computed once per call site.
macro_rules! key {
    ($camel:literal) => {{
        static KEY: OnceLock<String> = OnceLock::new();
        KEY.get_or_init(|| camel_to_snake($camel)).as_str()
    }};
}

/// Enums: their API string (`as_str` also gives the raw string of values the SDK does not know).
macro_rules! api_strings {
    ($($ty:ident),* $(,)?) => {$(
        impl ToVar for ec2::$ty {
            fn to_var<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    )*};
}

/// Structures: `Type { "BotocoreMemberName" => sdk_field, … }`.
macro_rules! structs {
    ($($ty:ident { $($camel:literal => $field:ident),* $(,)? })*) => {$(
        impl Fields for ec2::$ty {
            fn order() -> &'static [(&'static str, usize)] {
                static ORDER: OnceLock<Vec<(&'static str, usize)>> = OnceLock::new();
                ORDER.get_or_init(|| {
                    let mut order: Vec<(&'static str, usize)> = [$(key!($camel)),*]
                        .into_iter()
                        .enumerate()
                        .map(|(i, k)| (k, i))
                        .collect();
                    order.sort_unstable();
                    order
                })
            }
            fn field<M: SerializeMap>(
                &self,
                index: usize,
                key: &str,
                map: &mut M,
            ) -> Result<(), M::Error> {
                let mut i = 0_usize;
                $(
                    if i == index {
                        return put(map, key, self.$field.as_ref());
                    }
                    i += 1;
                )*
                debug_assert!(index >= i, "field index out of range");
                Ok(())
            }
        }
        impl ToVar for ec2::$ty {
            fn to_var<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(None)?;
                serialize_fields(self, &mut map, &[])?;
                map.end()
            }
        }
    )*};
}

api_strings!(
    AmdSevSnpSpecification,
    ArchitectureValues,
    AttachmentStatus,
    BootModeValues,
    CapacityReservationPreference,
    DeviceType,
    HostnameType,
    HttpTokensState,
    HypervisorType,
    InstanceAutoRecoveryState,
    InstanceBandwidthWeighting,
    InstanceBootModeValues,
    InstanceLifecycleType,
    InstanceMetadataEndpointState,
    InstanceMetadataOptionsState,
    InstanceMetadataProtocolState,
    InstanceMetadataTagsState,
    InstanceRebootMigrationState,
    InstanceStateName,
    InstanceType,
    MonitoringState,
    NestedVirtualizationSpecification,
    SecondaryInterfaceStatus,
    SecondaryInterfaceType,
    NetworkInterfaceStatus,
    PlatformValues,
    ProductCodeValues,
    Tenancy,
    VirtualizationType,
);

structs! {
    // `Tags` is left out: it becomes `ec2_tags` (and `tags`, see `InstanceVars`).
    Instance {
        "AmiLaunchIndex" => ami_launch_index,
        "Architecture" => architecture,
        "BlockDeviceMappings" => block_device_mappings,
        "BootMode" => boot_mode,
        "CapacityBlockId" => capacity_block_id,
        "CapacityReservationId" => capacity_reservation_id,
        "CapacityReservationSpecification" => capacity_reservation_specification,
        "ClientToken" => client_token,
        "CpuOptions" => cpu_options,
        "CurrentInstanceBootMode" => current_instance_boot_mode,
        "EbsOptimized" => ebs_optimized,
        "ElasticGpuAssociations" => elastic_gpu_associations,
        "ElasticInferenceAcceleratorAssociations" => elastic_inference_accelerator_associations,
        "EnaSupport" => ena_support,
        "EnclaveOptions" => enclave_options,
        "HibernationOptions" => hibernation_options,
        "Hypervisor" => hypervisor,
        "IamInstanceProfile" => iam_instance_profile,
        "ImageId" => image_id,
        "InstanceId" => instance_id,
        "InstanceLifecycle" => instance_lifecycle,
        "InstanceType" => instance_type,
        "Ipv6Address" => ipv6_address,
        "KernelId" => kernel_id,
        "KeyName" => key_name,
        "LaunchTime" => launch_time,
        "Licenses" => licenses,
        "MaintenanceOptions" => maintenance_options,
        "MetadataOptions" => metadata_options,
        "Monitoring" => monitoring,
        "NetworkInterfaces" => network_interfaces,
        "NetworkPerformanceOptions" => network_performance_options,
        "Operator" => operator,
        "OutpostArn" => outpost_arn,
        // `Placement` is written with `placement.region` (see `InstanceVars`).
        "Platform" => platform,
        "PlatformDetails" => platform_details,
        "PrivateDnsName" => private_dns_name,
        "PrivateDnsNameOptions" => private_dns_name_options,
        "PrivateIpAddress" => private_ip_address,
        "ProductCodes" => product_codes,
        "PublicDnsName" => public_dns_name,
        "PublicIpAddress" => public_ip_address,
        "RamdiskId" => ramdisk_id,
        "RootDeviceName" => root_device_name,
        "RootDeviceType" => root_device_type,
        "SecondaryInterfaces" => secondary_interfaces,
        "SecurityGroups" => security_groups,
        "SourceDestCheck" => source_dest_check,
        "SpotInstanceRequestId" => spot_instance_request_id,
        "SriovNetSupport" => sriov_net_support,
        "State" => state,
        "StateReason" => state_reason,
        "StateTransitionReason" => state_transition_reason,
        "SubnetId" => subnet_id,
        "TpmSupport" => tpm_support,
        "UsageOperation" => usage_operation,
        "UsageOperationUpdateTime" => usage_operation_update_time,
        "VirtualizationType" => virtualization_type,
        "VpcId" => vpc_id,
    }
    InstanceBlockDeviceMapping { "DeviceName" => device_name, "Ebs" => ebs }
    EbsInstanceBlockDevice {
        "AttachTime" => attach_time,
        "DeleteOnTermination" => delete_on_termination,
        "Status" => status,
        "VolumeId" => volume_id,
        "AssociatedResource" => associated_resource,
        "VolumeOwnerId" => volume_owner_id,
        "Operator" => operator,
        "EbsCardIndex" => ebs_card_index,
    }
    OperatorResponse { "Managed" => managed, "Principal" => principal, "HiddenByDefault" => hidden_by_default }
    CapacityReservationSpecificationResponse {
        "CapacityReservationPreference" => capacity_reservation_preference,
        "CapacityReservationTarget" => capacity_reservation_target,
    }
    CapacityReservationTargetResponse {
        "CapacityReservationId" => capacity_reservation_id,
        "CapacityReservationResourceGroupArn" => capacity_reservation_resource_group_arn,
    }
    CpuOptions {
        "CoreCount" => core_count,
        "ThreadsPerCore" => threads_per_core,
        "AmdSevSnp" => amd_sev_snp,
        "NestedVirtualization" => nested_virtualization,
    }
    InstanceSecondaryInterface {
        "Attachment" => attachment,
        "MacAddress" => mac_address,
        "SecondaryInterfaceId" => secondary_interface_id,
        "OwnerId" => owner_id,
        "PrivateIpAddresses" => private_ip_addresses,
        "SourceDestCheck" => source_dest_check,
        "Status" => status,
        "SecondarySubnetId" => secondary_subnet_id,
        "SecondaryNetworkId" => secondary_network_id,
        "InterfaceType" => interface_type,
    }
    InstanceSecondaryInterfaceAttachment {
        "AttachTime" => attach_time,
        "AttachmentId" => attachment_id,
        "DeleteOnTermination" => delete_on_termination,
        "DeviceIndex" => device_index,
        "Status" => status,
        "NetworkCardIndex" => network_card_index,
    }
    InstanceSecondaryInterfacePrivateIpAddress { "PrivateIpAddress" => private_ip_address }
    ElasticGpuAssociation {
        "ElasticGpuId" => elastic_gpu_id,
        "ElasticGpuAssociationId" => elastic_gpu_association_id,
        "ElasticGpuAssociationState" => elastic_gpu_association_state,
        "ElasticGpuAssociationTime" => elastic_gpu_association_time,
    }
    ElasticInferenceAcceleratorAssociation {
        "ElasticInferenceAcceleratorArn" => elastic_inference_accelerator_arn,
        "ElasticInferenceAcceleratorAssociationId" => elastic_inference_accelerator_association_id,
        "ElasticInferenceAcceleratorAssociationState" => elastic_inference_accelerator_association_state,
        "ElasticInferenceAcceleratorAssociationTime" => elastic_inference_accelerator_association_time,
    }
    EnclaveOptions { "Enabled" => enabled }
    HibernationOptions { "Configured" => configured }
    IamInstanceProfile { "Arn" => arn, "Id" => id }
    LicenseConfiguration { "LicenseConfigurationArn" => license_configuration_arn }
    InstanceMaintenanceOptions { "AutoRecovery" => auto_recovery, "RebootMigration" => reboot_migration }
    InstanceMetadataOptionsResponse {
        "State" => state,
        "HttpTokens" => http_tokens,
        "HttpPutResponseHopLimit" => http_put_response_hop_limit,
        "HttpEndpoint" => http_endpoint,
        "HttpProtocolIpv6" => http_protocol_ipv6,
        "InstanceMetadataTags" => instance_metadata_tags,
    }
    Monitoring { "State" => state }
    InstanceNetworkInterface {
        "Association" => association,
        "Attachment" => attachment,
        "Description" => description,
        "Groups" => groups,
        "Ipv6Addresses" => ipv6_addresses,
        "MacAddress" => mac_address,
        "NetworkInterfaceId" => network_interface_id,
        "OwnerId" => owner_id,
        "PrivateDnsName" => private_dns_name,
        "PrivateIpAddress" => private_ip_address,
        "PrivateIpAddresses" => private_ip_addresses,
        "SourceDestCheck" => source_dest_check,
        "Status" => status,
        "SubnetId" => subnet_id,
        "VpcId" => vpc_id,
        "InterfaceType" => interface_type,
        "Ipv4Prefixes" => ipv4_prefixes,
        "Ipv6Prefixes" => ipv6_prefixes,
        "ConnectionTrackingConfiguration" => connection_tracking_configuration,
        "Operator" => operator,
    }
    InstanceNetworkInterfaceAssociation {
        "CarrierIp" => carrier_ip,
        "CustomerOwnedIp" => customer_owned_ip,
        "IpOwnerId" => ip_owner_id,
        "PublicDnsName" => public_dns_name,
        "PublicIp" => public_ip,
    }
    InstanceNetworkInterfaceAttachment {
        "AttachTime" => attach_time,
        "AttachmentId" => attachment_id,
        "DeleteOnTermination" => delete_on_termination,
        "DeviceIndex" => device_index,
        "Status" => status,
        "NetworkCardIndex" => network_card_index,
        "EnaSrdSpecification" => ena_srd_specification,
        "EnaQueueCount" => ena_queue_count,
    }
    InstanceAttachmentEnaSrdSpecification {
        "EnaSrdEnabled" => ena_srd_enabled,
        "EnaSrdUdpSpecification" => ena_srd_udp_specification,
    }
    InstanceAttachmentEnaSrdUdpSpecification { "EnaSrdUdpEnabled" => ena_srd_udp_enabled }
    GroupIdentifier { "GroupId" => group_id, "GroupName" => group_name }
    InstanceIpv6Address { "Ipv6Address" => ipv6_address, "IsPrimaryIpv6" => is_primary_ipv6 }
    InstancePrivateIpAddress {
        "Association" => association,
        "Primary" => primary,
        "PrivateDnsName" => private_dns_name,
        "PrivateIpAddress" => private_ip_address,
    }
    InstanceIpv4Prefix { "Ipv4Prefix" => ipv4_prefix }
    InstanceIpv6Prefix { "Ipv6Prefix" => ipv6_prefix }
    ConnectionTrackingSpecificationResponse {
        "TcpEstablishedTimeout" => tcp_established_timeout,
        "UdpStreamTimeout" => udp_stream_timeout,
        "UdpTimeout" => udp_timeout,
    }
    InstanceNetworkPerformanceOptions { "BandwidthWeighting" => bandwidth_weighting }
    Placement {
        "Affinity" => affinity,
        "GroupName" => group_name,
        "PartitionNumber" => partition_number,
        "HostId" => host_id,
        "Tenancy" => tenancy,
        "SpreadDomain" => spread_domain,
        "HostResourceGroupArn" => host_resource_group_arn,
        "GroupId" => group_id,
        "AvailabilityZone" => availability_zone,
        "AvailabilityZoneId" => availability_zone_id,
    }
    PrivateDnsNameOptionsResponse {
        "HostnameType" => hostname_type,
        "EnableResourceNameDnsARecord" => enable_resource_name_dns_a_record,
        "EnableResourceNameDnsAAAARecord" => enable_resource_name_dns_aaaa_record,
    }
    ProductCode { "ProductCodeId" => product_code_id, "ProductCodeType" => product_code_type }
    InstanceState { "Code" => code, "Name" => name }
    StateReason { "Code" => code, "Message" => message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_are_python_isoformat_in_utc() {
        let at = |secs, nanos| isoformat(&DateTime::from_secs_and_nanos(secs, nanos));
        assert_eq!(at(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            at(1_709_251_199, 123_456_789),
            "2024-02-29T23:59:59.123456+00:00"
        );
        assert_eq!(
            at(1_714_564_800, 5_000_000),
            "2024-05-01T12:00:00.005000+00:00"
        );
        assert_eq!(at(1_714_564_800, 999), "2024-05-01T12:00:00+00:00");
        assert_eq!(at(-1, 0), "1969-12-31T23:59:59+00:00");
        assert_eq!(at(951_782_400, 0), "2000-02-29T00:00:00+00:00");
    }

    fn reservation() -> ec2::Reservation {
        ec2::Reservation::builder()
            .owner_id("123456789012")
            .reservation_id("r-0abc")
            .build()
    }

    #[test]
    fn a_full_instance_has_the_plugins_keys_and_shapes() {
        let launched = DateTime::from_secs(1_714_564_800);
        let attached = DateTime::from_secs_and_nanos(1_714_564_801, 250_000_000);
        let group = ec2::GroupIdentifier::builder()
            .group_id("sg-1")
            .group_name("app")
            .build();
        let association = ec2::InstanceNetworkInterfaceAssociation::builder()
            .ip_owner_id("amazon")
            .public_ip("203.0.113.7")
            .public_dns_name("ec2-203-0-113-7.eu-west-1.compute.amazonaws.com")
            .build();
        let eni = ec2::InstanceNetworkInterface::builder()
            .association(association.clone())
            .attachment(
                ec2::InstanceNetworkInterfaceAttachment::builder()
                    .attach_time(attached)
                    .attachment_id("eni-attach-1")
                    .delete_on_termination(true)
                    .device_index(0)
                    .network_card_index(0)
                    .status(ec2::AttachmentStatus::Attached)
                    .build(),
            )
            .groups(group.clone())
            .ipv6_addresses(
                ec2::InstanceIpv6Address::builder()
                    .ipv6_address("2001:db8::7")
                    .is_primary_ipv6(true)
                    .build(),
            )
            .network_interface_id("eni-1")
            .private_ip_address("10.0.1.7")
            .private_ip_addresses(
                ec2::InstancePrivateIpAddress::builder()
                    .association(association)
                    .primary(true)
                    .private_ip_address("10.0.1.7")
                    .build(),
            )
            .source_dest_check(true)
            .status(ec2::NetworkInterfaceStatus::InUse)
            .build();
        let instance = ec2::Instance::builder()
            .instance_id("i-0123456789abcdef0")
            .image_id("ami-1")
            .instance_type(ec2::InstanceType::T3Micro)
            .architecture(ec2::ArchitectureValues::X8664)
            .ami_launch_index(0)
            .launch_time(launched)
            .state(
                ec2::InstanceState::builder()
                    .code(16)
                    .name(ec2::InstanceStateName::Running)
                    .build(),
            )
            .placement(
                ec2::Placement::builder()
                    .availability_zone("eu-west-1b")
                    .group_name("")
                    .tenancy(ec2::Tenancy::Default)
                    .build(),
            )
            .private_ip_address("10.0.1.7")
            .public_ip_address("203.0.113.7")
            .ipv6_address("2001:db8::7")
            .ebs_optimized(false)
            .ena_support(true)
            .iam_instance_profile(
                ec2::IamInstanceProfile::builder()
                    .arn("arn:aws:iam::123456789012:instance-profile/web")
                    .id("AIPA1")
                    .build(),
            )
            .block_device_mappings(
                ec2::InstanceBlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(
                        ec2::EbsInstanceBlockDevice::builder()
                            .attach_time(attached)
                            .delete_on_termination(true)
                            .status(ec2::AttachmentStatus::Attached)
                            .volume_id("vol-1")
                            .build(),
                    )
                    .build(),
            )
            .network_interfaces(eni)
            .security_groups(group)
            .set_product_codes(Some(vec![]))
            .hibernation_options(ec2::HibernationOptions::builder().build())
            .cpu_options(
                ec2::CpuOptions::builder()
                    .core_count(1)
                    .threads_per_core(2)
                    .build(),
            )
            .private_dns_name_options(
                ec2::PrivateDnsNameOptionsResponse::builder()
                    .hostname_type(ec2::HostnameType::IpName)
                    .enable_resource_name_dns_a_record(false)
                    .enable_resource_name_dns_aaaa_record(false)
                    .build(),
            )
            .metadata_options(
                ec2::InstanceMetadataOptionsResponse::builder()
                    .http_tokens(ec2::HttpTokensState::Required)
                    .http_put_response_hop_limit(2)
                    .build(),
            )
            .monitoring(
                ec2::Monitoring::builder()
                    .state(ec2::MonitoringState::Disabled)
                    .build(),
            )
            .tags(ec2::Tag::builder().key("Name").value("web-1").build())
            .tags(ec2::Tag::builder().key("Role").value("web").build())
            .build();

        let vars = instance_hostvars(&reservation(), &instance, TagVars::Ec2Tags);
        assert_eq!(
            Value::Object(vars),
            json!({
                "ami_launch_index": 0,
                "architecture": "x86_64",
                "block_device_mappings": [{
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "attach_time": "2024-05-01T12:00:01.250000+00:00",
                        "delete_on_termination": true,
                        "status": "attached",
                        "volume_id": "vol-1",
                    },
                }],
                "cpu_options": {"core_count": 1, "threads_per_core": 2},
                "ebs_optimized": false,
                "ec2_tags": {"Name": "web-1", "Role": "web"},
                "ena_support": true,
                "hibernation_options": {},
                "iam_instance_profile": {"arn": "arn:aws:iam::123456789012:instance-profile/web", "id": "AIPA1"},
                "image_id": "ami-1",
                "instance_id": "i-0123456789abcdef0",
                "instance_type": "t3.micro",
                "ipv6_address": "2001:db8::7",
                "launch_time": "2024-05-01T12:00:00+00:00",
                "metadata_options": {"http_put_response_hop_limit": 2, "http_tokens": "required"},
                "monitoring": {"state": "disabled"},
                "network_interfaces": [{
                    "association": {
                        "ip_owner_id": "amazon",
                        "public_dns_name": "ec2-203-0-113-7.eu-west-1.compute.amazonaws.com",
                        "public_ip": "203.0.113.7",
                    },
                    "attachment": {
                        "attach_time": "2024-05-01T12:00:01.250000+00:00",
                        "attachment_id": "eni-attach-1",
                        "delete_on_termination": true,
                        "device_index": 0,
                        "network_card_index": 0,
                        "status": "attached",
                    },
                    "groups": [{"group_id": "sg-1", "group_name": "app"}],
                    "ipv6_addresses": [{"ipv6_address": "2001:db8::7", "is_primary_ipv6": true}],
                    "network_interface_id": "eni-1",
                    "private_ip_address": "10.0.1.7",
                    "private_ip_addresses": [{
                        "association": {
                            "ip_owner_id": "amazon",
                            "public_dns_name": "ec2-203-0-113-7.eu-west-1.compute.amazonaws.com",
                            "public_ip": "203.0.113.7",
                        },
                        "primary": true,
                        "private_ip_address": "10.0.1.7",
                    }],
                    "source_dest_check": true,
                    "status": "in-use",
                }],
                "owner_id": "123456789012",
                "placement": {"availability_zone": "eu-west-1b", "group_name": "", "region": "eu-west-1", "tenancy": "default"},
                "private_dns_name_options": {
                    "enable_resource_name_dns_a_record": false,
                    "enable_resource_name_dns_aaaa_record": false,
                    "hostname_type": "ip-name",
                },
                "private_ip_address": "10.0.1.7",
                "product_codes": [],
                "public_ip_address": "203.0.113.7",
                "requester_id": "",
                "reservation_id": "r-0abc",
                "security_groups": [{"group_id": "sg-1", "group_name": "app"}],
                "state": {"code": 16, "name": "running"},
            })
        );
    }

    #[test]
    fn a_bare_instance_has_only_what_is_set_and_no_tags_key() {
        let instance = ec2::Instance::builder()
            .instance_id("i-1")
            .instance_type(ec2::InstanceType::from("x9.mega"))
            .placement(
                ec2::Placement::builder()
                    .availability_zone("us-west-2-lax-1a")
                    .build(),
            )
            .build();
        let reservation = ec2::Reservation::builder()
            .owner_id("1")
            .requester_id("940372691376")
            .reservation_id("r-1")
            .build();
        let vars = instance_hostvars(&reservation, &instance, TagVars::Ec2Tags);
        assert_eq!(
            Value::Object(vars),
            json!({
                "ec2_tags": {},
                "instance_id": "i-1",
                "instance_type": "x9.mega",
                "owner_id": "1",
                "placement": {"availability_zone": "us-west-2-lax-1a", "region": "us-west-2-lax-1"},
                "requester_id": "940372691376",
                "reservation_id": "r-1",
            })
        );
    }

    #[test]
    fn tags_become_a_dict_where_a_later_duplicate_wins() {
        let tag = |k: &str, v: &str| ec2::Tag::builder().key(k).value(v).build();
        let instance = ec2::Instance::builder()
            .tags(tag("Name", "a"))
            .tags(tag("Name", "b"))
            .tags(ec2::Tag::builder().key("Empty").build())
            .build();
        let vars = instance_hostvars(&reservation(), &instance, TagVars::Ec2Tags);
        assert_eq!(vars["ec2_tags"], json!({"Name": "b", "Empty": ""}));
        assert!(!vars.contains_key("tags"));
        assert!(!vars.contains_key("placement"));
    }

    #[test]
    fn the_plugins_tags_are_the_same_dict_in_key_order() {
        let tag = |k: &str, v: &str| ec2::Tag::builder().key(k).value(v).build();
        let instance = ec2::Instance::builder()
            .instance_id("i-1")
            .tags(tag("Role", "web"))
            .tags(tag("Name", "a"))
            .tags(tag("Name", "b"))
            // Fields whose keys sort after `tags` must stay in order around it.
            .virtualization_type(ec2::VirtualizationType::Hvm)
            .vpc_id("vpc-1")
            .build();
        let both = instance_hostvars(&reservation(), &instance, TagVars::Both);
        assert_eq!(both["tags"], json!({"Name": "b", "Role": "web"}));
        assert_eq!(both["tags"], both["ec2_tags"]);
        let only = instance_hostvars(&reservation(), &instance, TagVars::Ec2Tags);
        let mut without: Map<String, Value> = both.clone();
        without.remove("tags");
        assert_eq!(without, only, "`tags` is the only difference");
        // The raw text keeps keys in byte order, as the inventory's merge of raw variables needs.
        let raw = instance_json(&reservation(), &instance, TagVars::Both);
        let mut keys: Vec<String> = serde_json::from_str::<Map<String, Value>>(raw.get())
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        keys.sort_unstable();
        let text = raw.get();
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")).expect("key in text"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(keys.contains(&"tags".to_owned()) && keys.contains(&"vpc_id".to_owned()));
    }
}
