"""Members of a billing account: who has access, in which role. Owners manage them."""

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from accounts.domain.billing_accounts import Member, Role
from accounts.entrypoints.dependencies import ClockDep, RequestBody, Runtime
from accounts.entrypoints.principals import Person
from accounts.use_cases.add_member import add_member
from accounts.use_cases.change_member_role import change_member_role
from accounts.use_cases.list_members import list_members
from accounts.use_cases.remove_member import remove_member

router = APIRouter(prefix="/v1/billing-accounts/{billing_account_id}/members", tags=["members"])


class NewMember(RequestBody):
    email: str = Field(examples=["grace@acme.example"])
    role: str = Field(description="owner, admin or viewer.", examples=["admin"])


class RoleChange(RequestBody):
    role: str = Field(description="owner, admin or viewer.", examples=["viewer"])


class MemberOut(BaseModel):
    email: str
    role: Role
    user_id: str | None = Field(description="The identity provider's id, or one derived from the email for invitees.")

    @classmethod
    def of(cls, member: Member) -> "MemberOut":
        return cls(email=member.email, role=member.role, user_id=member.user_id)


@router.get("", response_model=list[MemberOut])
async def members(billing_account_id: str, caller: Person, runtime: Runtime) -> list[MemberOut]:
    async with runtime.engine.connect() as connection:
        return [MemberOut.of(m) for m in await list_members(billing_account_id, caller, connection)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MemberOut)
async def add(billing_account_id: str, body: NewMember, caller: Person, runtime: Runtime, clock: ClockDep) -> MemberOut:
    async with runtime.engine.begin() as tx:
        return MemberOut.of(await add_member(billing_account_id, body.email, body.role, caller, tx, clock))


@router.patch("/{email}", response_model=MemberOut)
async def change(
    billing_account_id: str, email: str, body: RoleChange, caller: Person, runtime: Runtime, clock: ClockDep
) -> MemberOut:
    async with runtime.engine.begin() as tx:
        return MemberOut.of(await change_member_role(billing_account_id, email, body.role, caller, tx, clock))


@router.delete("/{email}", status_code=status.HTTP_204_NO_CONTENT)
async def remove(billing_account_id: str, email: str, caller: Person, runtime: Runtime, clock: ClockDep) -> None:
    async with runtime.engine.begin() as tx:
        await remove_member(billing_account_id, email, caller, tx, clock)
